// Running the program a delivery helper wraps (bouncesaying, condredirect, preline), the
// way qmail's tools do: found through $PATH, with our stdin, and a program that cannot
// be run is a temporary failure (exit 111) when its error is (qmail's error_temp, here
// qm::is_temporary_errno) and a permanent one (exit 100) otherwise.
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace qm::tools {

// Starts argv[0], looked up in $PATH. stdin_fd, when >= 0, becomes the program's fd 0.
// A program that cannot be run is a failure, temporary or permanent as its error (its
// exit code is then exit_code() of it), said as "<who>: fatal: unable to run ..." on
// stderr when who is not empty.
[[nodiscard]] Result<pid_t> start_program(const std::vector<std::string>& argv, int stdin_fd,
                                          std::string_view who);
// The program's exit code; a crash or a failed wait is a temporary failure.
[[nodiscard]] Result<int> wait_program(pid_t pid);

// bouncesaying and condredirect's condition: runs argv, true when it exits 0, false for
// any other exit code except 111, which (like a crash) is a temporary failure.
[[nodiscard]] Result<bool> run_condition(const std::vector<std::string>& argv);

} // namespace qm::tools

// Running the program a delivery helper wraps (bouncesaying, condredirect, preline), the
// way qmail's tools do: execvp with our stdin, and a failed exec exits 111 when its
// error is temporary (qmail's error_temp) and 100 otherwise.
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace qm::tools {

// qmail's error_temp(): resource shortages, I/O and network trouble. A missing or
// non-executable program is permanent.
[[nodiscard]] bool is_temporary_errno(int err);

// Forks and execs argv[0] through $PATH. stdin_fd, when >= 0, becomes the child's fd 0.
// When exec fails and who is not empty, the child says "<who>: fatal: unable to run ..."
// on stderr before exiting 111 or 100.
[[nodiscard]] Result<pid_t> start_program(const std::vector<std::string>& argv, int stdin_fd,
                                          std::string_view who);
// The child's exit code; a crash or a failed wait is a temporary failure.
[[nodiscard]] Result<int> wait_program(pid_t pid);

// bouncesaying and condredirect's condition: runs argv, true when it exits 0, false for
// any other exit code except 111, which (like a crash) is a temporary failure.
[[nodiscard]] Result<bool> run_condition(const std::vector<std::string>& argv);

} // namespace qm::tools

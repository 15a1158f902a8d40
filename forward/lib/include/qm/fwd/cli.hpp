// What the forwarding programs share at their boundary: fatal messages in qmail's
// "program: fatal: text" form mapped to 100/111, --help handling, and reading a cdb
// given on stdin (printforward < table.cdb), which may be a pipe.
#pragma once

#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm::fwd::cli {

// Prints "<program>: fatal: <text>" on stderr; returns 100 or 111 by severity.
int fatal(std::string_view program, const Failure& f);
// True if argv[1] is --help or -h; then prints help on stdout.
bool help_requested(int argc, char** argv, std::string_view help);
// Every record of the cdb on fd, in file order.
[[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> read_cdb_fd(int fd);
// Writes bytes to stdout, reporting a write error (a full disk under printforward > x).
[[nodiscard]] Status write_stdout(std::string_view bytes);

} // namespace qm::fwd::cli

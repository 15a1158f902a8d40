// What the forwarding programs share at their boundary: qm::program's (the fatal line
// "program: fatal: text" mapped to 100/111, usage lines, --help and the frame of main),
// reading a cdb given on stdin (printforward < table.cdb), which may be a pipe, and
// writing the result to stdout.
#pragma once

#include "qm/program.hpp"
#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm::fwd::cli {

using qm::program::fatal;
using qm::program::usage;

// Every record of the cdb on fd, in file order.
[[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> read_cdb_fd(int fd);
// Writes bytes to stdout, reporting a write error (a full disk under printforward > x).
[[nodiscard]] Status write_stdout(std::string_view bytes);

} // namespace qm::fwd::cli

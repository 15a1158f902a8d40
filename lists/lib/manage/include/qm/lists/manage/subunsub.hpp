// ezmlm-sub and ezmlm-unsub share their command line (ezmlm-sub(1), ezmlm-unsub(1)):
// addresses from argv, or in bulk from a file or stdin, into the list or a sub-database.
#pragma once

#include "qm/program.hpp"

#include <string_view>

namespace qm::lists {

// args are the words after the program's name. Returns the exit code: 0, 100 (bad usage
// or address), 111 (temporary trouble).
int subunsub(std::string_view program, bool add, qm::program::Words args);

} // namespace qm::lists

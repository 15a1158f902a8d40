// qmail's getopt convention for the programs' leading option words: "-xy" is a cluster of
// option letters, "--" ends the options (and is skipped), and so does any other word,
// "-" included.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace qm {

// True when args[i] is an option cluster. At the end of the options it is false, with i
// moved past a "--", so that args[i..] are the operands:
//     for (i = 0; at_option_word(args, i); ++i) { for (char c : args[i].substr(1)) ... }
[[nodiscard]] bool at_option_word(std::span<const std::string> args, size_t& i);

} // namespace qm

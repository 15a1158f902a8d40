#include "qm/options.hpp"

namespace qm {

bool at_option_word(std::span<const std::string> args, size_t& i) {
    if (i >= args.size())
        return false;
    const std::string& a = args[i];
    if (a == "--") {
        ++i;
        return false;
    }
    return a.size() >= 2 && a[0] == '-';
}

} // namespace qm

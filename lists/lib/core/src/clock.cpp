#include "qm/lists/core/clock.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace qm::lists {

std::time_t now() {
    if (const char* fixed = std::getenv("QM_LISTS_NOW")) {
        std::string_view s(fixed);
        long long t = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), t);
        if (ec == std::errc() && end == s.data() + s.size() && t >= 0)
            return static_cast<std::time_t>(t);
    }
    return std::time(nullptr);
}

} // namespace qm::lists

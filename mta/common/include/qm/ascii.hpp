// ASCII case, whatever the locale: domains, header field names, charset names and the
// like are compared without case only for the 26 letters (std::tolower would follow the
// process's locale).
#pragma once

namespace qm {

[[nodiscard]] constexpr char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace qm

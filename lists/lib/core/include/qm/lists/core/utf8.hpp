// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing beyond U+10FFFF)
// for text that leaves a list as UTF-8: the digest's RFC 1153 text and the web archive's
// index and pages. Mail claims charsets it does not hold, so every such output is checked
// and repaired here rather than trusted. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qm::lists {

// U+FFFD in UTF-8.
inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// The length of the well-formed UTF-8 sequence at the start of s, 0 if there is none.
[[nodiscard]] std::size_t utf8_sequence_length(std::string_view s);
[[nodiscard]] bool is_valid_utf8(std::string_view s);
// s with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
[[nodiscard]] std::string repair_utf8(std::string_view s);
// At most max bytes of the UTF-8 text s, cut at a character boundary.
[[nodiscard]] std::string_view utf8_prefix(std::string_view s, std::size_t max);

} // namespace qm::lists

// Text as the web archive stores it: always valid UTF-8, whatever the message claimed.
// Mail arrives in every charset, often mislabelled (Latin-1 sent as "utf-8", Windows-1252
// sent as "iso-8859-1", "unknown-8bit", no label at all); the index must never hold bytes
// a browser or SQLite's tokenizer would choke on, and it must never crash on them. The
// policy, in order: bytes that are valid UTF-8 are taken as they are (the usual
// mislabelling is UTF-8 under an older label, and a false positive is rare: Latin-1 text
// is almost never valid UTF-8); else the declared charset through iconv (glibc), if it
// knows it and every byte converts; else Windows-1252, the superset of Latin-1 that most
// unlabelled 8-bit mail is in; whatever still does not convert becomes U+FFFD.
// Pure functions, no I/O.
#pragma once

#include "qm/lists/core/utf8.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace qm::web {

// Well-formed UTF-8 as the list programs check it.
using qm::lists::is_valid_utf8;
using qm::lists::repair_utf8;
using qm::lists::replacement_character;
using qm::lists::utf8_prefix;

// text converted from charset to UTF-8 by iconv; nullopt when iconv does not know the
// charset (or the name is not a plain MIME charset name) or when any byte fails to
// convert.
[[nodiscard]] std::optional<std::string> convert_strictly(std::string_view text,
                                                          std::string_view charset);

// text in UTF-8 by the policy above; declared is the charset the message names ("" for
// none).
[[nodiscard]] std::string to_utf8(std::string_view text, std::string_view declared);

// A header field's value as a reader sees it: unfolded, RFC 2047 encoded words decoded
// (each from its own charset, blanks between adjacent words dropped), the rest by the
// policy above, control characters as spaces, blanks around it trimmed.
[[nodiscard]] std::string decode_header_text(std::string_view raw);

// The words of an HTML document (already UTF-8) for search: tags, comments, scripts and
// style sheets dropped, block elements as line breaks, character references decoded,
// runs of blanks made one.
[[nodiscard]] std::string html_to_text(std::string_view html);

} // namespace qm::web

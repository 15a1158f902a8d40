// The pieces of ezmlm-get's r format, the plain-text digest of RFC 1153: a preamble that
// ends in a line of 70 hyphens and a blank line, then the messages, each followed by a
// blank line, a line of 30 hyphens and a blank line, then "End of ... Digest" and a line
// of asterisks. Each message keeps only the header fields RFC 1153 retains and a body a
// person can read without a MIME reader: its text/plain parts decoded and converted to
// UTF-8, a one-line note for every other part. Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

// The line between enclosed messages (without its newline).
inline constexpr std::string_view rfc1153_separator = "------------------------------";
// The length of the line that ends the preamble.
inline constexpr size_t rfc1153_preamble_rule = 70;

// RFC 934 byte stuffing: "- " before every line that begins with '-', so no line of a
// message can pass for the separator and an RFC 934 undigestifier (MH's burst) gets the
// original line back by dropping the "- ".
[[nodiscard]] std::string stuff_hyphen_lines(std::string_view text);

// text converted from charset to UTF-8 (iconv), bytes that do not convert replaced by
// U+FFFD. us-ascii and an empty charset are read as UTF-8, the usual mislabelling.
// nullopt: a charset name iconv does not know (or that is not a plain token).
[[nodiscard]] std::optional<std::string> to_utf8(std::string_view text, std::string_view charset);

// The enclosed form of one message: Date, From, To, Cc, Subject, Message-ID, Keywords
// and Summary (RFC 1153's fields, in its order, continuation lines kept), a blank line,
// then the readable body: the text/plain parts, decoded and in UTF-8, one after the
// other; for every other part (HTML, attachments, enclosed messages) a line
// "[<type> part "<name>" left out: this digest shows text/plain parts only]"; leading
// and trailing blank lines removed; stuffed with stuff_hyphen_lines. A message whose MIME
// structure is broken shows its body as it is, after a note saying so. The result is
// valid UTF-8 and ends in a newline.
[[nodiscard]] std::string rfc1153_message(std::string_view message);

// The trailer of the digest of list name: "End of <name> Digest", then " Issue <issue>"
// when there is one, then a line of as many asterisks.
[[nodiscard]] std::string rfc1153_trailer(std::string_view name,
                                          std::optional<unsigned long> issue);

} // namespace qm::lists

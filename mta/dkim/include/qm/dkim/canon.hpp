// DKIM's wire format as ARC (RFC 8617) uses it, written here because OpenDKIM's library
// does not expose its own: RFC 6376 3.4's canonicalizations and 3.2's tag=value lists.
// Pure functions on a message as the queue keeps it (lines end in LF; a CR before the LF
// is part of that line end, as on the wire), so that the bytes hashed here are the bytes
// a receiver hashes from the CRLF form.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::dkim {

// The header fields of a message, each with its continuation lines and their line ends
// but without its final one, and the body after the empty line (empty when there is
// none).
struct MessageParts {
    std::vector<std::string_view> fields;
    std::string_view body;
};
[[nodiscard]] MessageParts split_message(std::string_view message);

// A field's name (before the colon, trailing blanks removed), as written; the whole
// field when it has no colon.
[[nodiscard]] std::string_view field_name(std::string_view field);
// ASCII case-insensitive equality, for field and tag names.
[[nodiscard]] bool same_name(std::string_view a, std::string_view b);

// "relaxed" (RFC 6376 3.4.2): the name in lower case, the value unfolded, runs of blanks
// made one space, blanks around the colon and at the end removed; then CRLF.
[[nodiscard]] std::string relaxed_header(std::string_view field);
// "simple" (3.4.1): the field as it is, its line ends CRLF, then CRLF.
[[nodiscard]] std::string simple_header(std::string_view field);
// "relaxed" (3.4.4): blanks at line ends removed, other runs of blanks one space, empty
// lines at the end removed, CRLF line ends; an empty body stays empty.
[[nodiscard]] std::string relaxed_body(std::string_view body);
// "simple" (3.4.3): empty lines at the end removed, CRLF line ends; an empty body is CRLF.
[[nodiscard]] std::string simple_body(std::string_view body);

// One tag of a tag=value list: the name, and the value with the blanks and line ends
// around it removed (those inside kept: b= and bh= may be folded).
struct Tag {
    std::string name;
    std::string value;
};
// A tag list (RFC 6376 3.2): "a=1; b = x y ;"; nullopt when a tag has no name or no '=',
// or a name repeats (a signature with two b= is not one signature).
[[nodiscard]] std::optional<std::vector<Tag>> parse_tags(std::string_view text);
// The value of tag name in tags, or nullopt.
[[nodiscard]] std::optional<std::string_view> tag_value(const std::vector<Tag>& tags,
                                                        std::string_view name);

// field with the b= tag's value deleted (RFC 6376 3.7: a signature is computed with its
// own b= empty); the field unchanged when it has no b= tag.
[[nodiscard]] std::string without_signature(std::string_view field);

} // namespace qm::dkim

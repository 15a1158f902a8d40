// What ezmlm-reject looks at in a post, read in one pass: the header fields that decide
// (To/Cc, Subject, Precedence, Content-Type and every field name), the MIME structure
// (the media type of the message and of each part, nested multiparts included) and the
// size of the body text without the MIME part headers and boundary lines, which is what
// dir/msgsize limits (ezmlm-reject(1)). Pure functions, no I/O.
#pragma once

#include "qm/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

// A Content-Type value: "type/subtype" lower-cased, the boundary parameter of a
// multipart type, the charset parameter lower-cased and the name parameter (both empty
// when not given).
struct MediaType {
    std::string type = "text/plain";
    std::string boundary;
    std::string charset;
    std::string name;
    [[nodiscard]] bool multipart() const { return type.starts_with("multipart/"); }
};

// Parses a Content-Type field value, e.g. `multipart/mixed; boundary="=_x"` (RFC 2045:
// token "/" token, then "; name=value" with values as tokens or quoted strings, and
// comments in parentheses). A value without a type and subtype, an unterminated quoted
// string or comment, or a multipart type without a non-empty boundary is a permanent
// failure naming the problem.
[[nodiscard]] Result<MediaType> parse_media_type(std::string_view value);

struct PostShape {
    std::vector<std::string> field_names;    // every header field name, lower case, in order
    std::vector<std::string> address_fields; // the unfolded values of To: and Cc:
    std::optional<std::string> subject;      // unfolded, surrounding blanks trimmed
    std::optional<std::string> precedence;   // unfolded, trimmed
    MediaType content_type;                  // text/plain when the header has none
    std::vector<std::string> part_types;     // every MIME part's type, depth first
    size_t body_size = 0;                    // body text bytes outside part headers and
                                             // boundary lines
    std::string first_body_line;             // first non-blank line of body text
};

// At most 60 bytes of s with control characters as '?': hostile text quoted in an
// error message stays one short line.
[[nodiscard]] std::string excerpt(std::string_view s);

// How deep multiparts may nest before the post is refused as broken (real mail stays
// within a handful of levels; the limit keeps a hostile post from costing much).
inline constexpr size_t max_mime_depth = 20;

// Reads the post. Broken MIME (a bad Content-Type in the header or in a part, a multipart
// whose boundary never appears, nesting beyond max_mime_depth) is a permanent failure
// whose text says what is wrong; nothing else about the input can fail.
[[nodiscard]] Result<PostShape> parse_post(std::string_view message);

// The unfolded value of the first field named name (lower case; fields' names are matched
// without regard to case), nullopt when there is none.
[[nodiscard]] std::optional<std::string> unfolded_field(const std::vector<std::string>& fields,
                                                        std::string_view name);

// body decoded per a Content-Transfer-Encoding value: base64 and quoted-printable are
// decoded (leniently: bad characters are skipped or kept), anything else is returned as
// it is.
[[nodiscard]] std::string decode_transfer_encoding(std::string_view mechanism,
                                                   std::string_view body);

// A part of a message that is not itself multipart, as parse_post's walk meets it.
struct MimeLeaf {
    MediaType type;                  // text/plain when the part has no Content-Type
    std::vector<std::string> fields; // its header fields (the message's when the message
                                     // is not multipart)
    std::string body;                // as written, still transfer-encoded
};
// Every leaf of the message's MIME tree, depth first (the message itself when it is not
// multipart). Broken MIME fails as in parse_post.
[[nodiscard]] Result<std::vector<MimeLeaf>> mime_leaves(std::string_view message);

} // namespace qm::lists

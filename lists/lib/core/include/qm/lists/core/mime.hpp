// MIME reading shared by the list programs that look inside mail: a Content-Type value,
// the transfer encodings, and the walk over a message's MIME tree (nested multiparts
// included) that refuses broken structure with a permanent failure saying what is wrong.
// ezmlm-reject's view of a post (post/post_shape.hpp), the archive index and RFC 1153
// digests, moderators' comments and edited texts, and bounce reports read mail with it.
// Pure functions, no I/O; mimetic stays out of the interface.
#pragma once

#include "qm/inject/header.hpp"
#include "qm/result.hpp"

#include <functional>
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

// s without the spaces, tabs and line ends around it.
[[nodiscard]] std::string_view trim_blanks(std::string_view s);

// At most 60 bytes of s with control characters as '?': hostile text quoted in an
// error message stays one short line.
[[nodiscard]] std::string excerpt(std::string_view s);

// How deep multiparts may nest before the post is refused as broken (real mail stays
// within a handful of levels; the limit keeps a hostile post from costing much).
inline constexpr size_t max_mime_depth = 20;

// The unfolded value of the first field named name (lower case; fields' names are matched
// without regard to case), nullopt when there is none.
[[nodiscard]] std::optional<std::string> unfolded_field(const std::vector<std::string>& fields,
                                                        std::string_view name);

// body decoded per a Content-Transfer-Encoding value: base64 and quoted-printable are
// decoded (leniently: bad characters are skipped or kept), anything else is returned as
// it is.
[[nodiscard]] std::string decode_transfer_encoding(std::string_view mechanism,
                                                   std::string_view body);

// data in base64 (RFC 2045 6.8) in lines of 76 characters, each ending in "\n" (the
// queue's line end).
[[nodiscard]] std::string encode_base64(std::string_view data);
// text with each "\n" that has no "\r" before it made "\r\n": the canonical form of text
// (RFC 2045 6.8), in which text goes into base64.
[[nodiscard]] std::string crlf_line_ends(std::string_view text);
// text in quoted-printable (RFC 2045 6.7): "=", controls other than tab and 8-bit bytes
// as =XX, a space or tab before a line end too, lines kept to 76 characters by soft line
// breaks; text's "\n" (or "\r\n") stay hard line ends ("\n").
[[nodiscard]] std::string encode_quoted_printable(std::string_view text);

// What walk_mime reports, depth first.
struct MimeVisitor {
    // Every part below the message, multiparts included.
    std::function<void(const MediaType&)> part;
    // Every part that is not multipart (the message itself when it is not).
    std::function<void(const MediaType&, const std::vector<std::string>& fields,
                       std::string_view body)>
        leaf;
    // Preambles and epilogues of multiparts.
    std::function<void(std::string_view)> filler;
    // After the last part of each multipart, the message's own included (not called when
    // the walk fails inside it); may be left empty. With part it gives the tree's shape:
    // a reader that must know which leaves share a multipart/alternative keeps a stack.
    std::function<void(const MediaType&)> end;
};
// The type a header's Content-Type field gives (text/plain when it has none or an empty
// one); a bad one fails as parse_media_type does.
[[nodiscard]] Result<MediaType> content_type_of(const std::vector<std::string>& fields);
// Walks the MIME tree of message, whose type is type (content_type_of its fields). Broken
// MIME (a bad Content-Type in a part, a multipart whose boundary never appears, nesting
// beyond max_mime_depth) is a permanent failure whose text says what is wrong.
[[nodiscard]] Status walk_mime(const MimeVisitor& visitor, const inject::SplitMessage& message,
                               const MediaType& type);

// A part of a message that is not itself multipart, as walk_mime meets it.
struct MimeLeaf {
    MediaType type;                  // text/plain when the part has no Content-Type
    std::vector<std::string> fields; // its header fields (the message's when the message
                                     // is not multipart)
    std::string body;                // as written, still transfer-encoded
};
// Every leaf of the message's MIME tree, depth first (the message itself when it is not
// multipart). Broken MIME fails as in walk_mime.
[[nodiscard]] Result<std::vector<MimeLeaf>> mime_leaves(std::string_view message);

} // namespace qm::lists

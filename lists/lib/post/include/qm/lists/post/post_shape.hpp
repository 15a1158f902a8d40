// What ezmlm-reject looks at in a post, read in one pass: the header fields that decide
// (To/Cc, Subject, Precedence, Content-Type and every field name), the MIME structure
// (the media type of the message and of each part, nested multiparts included) and the
// size of the body text without the MIME part headers and boundary lines, which is what
// dir/msgsize limits (ezmlm-reject(1)). Pure functions, no I/O.
#pragma once

#include "qm/lists/core/mime.hpp"
#include "qm/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

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

// Reads the post. Broken MIME (a bad Content-Type in the header or in a part, a multipart
// whose boundary never appears, nesting beyond max_mime_depth) is a permanent failure
// whose text says what is wrong; nothing else about the input can fail.
[[nodiscard]] Result<PostShape> parse_post(std::string_view message);

} // namespace qm::lists

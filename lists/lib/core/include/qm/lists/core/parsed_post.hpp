// A post read once, for all that ezmlm-send does with it: the DMARC check and From
// rewrite (post/dmarc.hpp), the archive index entry (archive/archive_index.hpp) and the
// distributed copy (post/send.hpp). It holds the header fields, each with its name, and
// the body; text() gives back the bytes that came in, byte for byte.
//
// The header is read as ezmlm-send reads it: it ends at the first empty line (LF or
// CRLF); every line before that belongs to a field, a line starting with a space or tab
// continuing the field before it; a message without an empty line is all header. No
// byte is changed or dropped. (ezmlm-reject's view of a post, with its MIME structure, is
// PostShape in post/post_shape.hpp.) Pure, no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qm::lists {

struct HeaderField {
    // The first line and its continuation lines, each with its line end as received
    // (always a newline: see ParsedPost::newline_added).
    std::string text;
    // The text before the colon without trailing blanks, lower case; "" without a colon.
    std::string name;

    explicit HeaderField(std::string field);
    // After the colon, leading spaces, tabs and line ends skipped; "" without a colon.
    [[nodiscard]] std::string_view value() const;
};

struct ParsedPost {
    explicit ParsedPost(std::string_view message);

    std::vector<HeaderField> fields;
    std::string separator; // the empty line ending the header: "\n", "\r\n", "" for none
    std::string body;      // everything after it
    // The message ended inside its header without a newline: its last field was given
    // one, so that every field ends in a line end, and text() leaves it out again.
    bool newline_added = false;

    // The message as it came in.
    [[nodiscard]] std::string text() const;
    // The first field named name (lower case); nullptr when there is none.
    [[nodiscard]] const HeaderField* first(std::string_view name) const;
};

} // namespace qm::lists

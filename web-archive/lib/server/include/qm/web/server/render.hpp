// An archived message (the bytes of archive/N/NN) as the HTML of its body on the message
// and thread pages. Beast-free and without I/O: the caller reads the file and puts the
// fragment in its page.
//
// - text/plain parts: decoded from their transfer encoding and charset to UTF-8
//   (qm/web/index/text.hpp's policy), escaped, addresses obfuscated, quoted lines folded
//   (html.hpp's render_text).
// - text/html parts: through the allow-list sanitizer (sanitize.hpp), in <div class="html">.
// - multipart/alternative: the text/plain alternative when there is one (what the sender
//   wrote for every reader, and what the index searched); the others, HTML included, are
//   folded in a closed <details> below it, sanitized, for a reader who wants the
//   formatting (no download: the attachment route serves only what the index lists as
//   attachments, and a sanitized rendering is as safe as the text). Without a text/plain
//   alternative, the last one (RFC 2046's preferred) is shown and the others folded. HTML
//   is parsed only when written, so a thread page, which leaves the others out, parses
//   none of them.
// - message/rfc822 parts (not attached): nested in a <blockquote> with their From, Date and
//   Subject, up to Limits::enclosed_depth deep.
// - everything else: a download link in the attachment URL scheme the site serves
//   (PART-NAME under the message's URL), for the parts the index lists.
//
// Parts are numbered as the index numbers them (qm/web/index/message.hpp: leaves in
// document order, enclosed messages walked into), so links match the index's attachments.
// Bounded work for MIME bombs with the index's Limits (bytes of a message read, parts,
// nesting, text) and a RenderBudget that a thread page shares between its messages; past a
// limit the fragment says what was left out.
#pragma once

#include "qm/web/index/message.hpp"
#include "qm/web/server/sanitize.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qm::web::server {

// What a page may spend on rendering bodies, drawn down by every message rendered into it:
// text shown (plain text and HTML given to the sanitizer, in bytes) and tags of HTML parsed
// (the parser's cost, sanitize.hpp).
struct RenderBudget {
    size_t text_bytes = 1u << 20;
    size_t html_tags = 4000;
};

struct RenderOptions {
    Limits limits;                                // the index's, for the same numbering
    std::string attachment_base;                  // URL of the message, ending in '/'
    std::vector<qm::web::Attachment> attachments; // the index's list of the message's
    // The alternatives not shown, folded below the one shown; a thread page leaves them
    // out (the message's own page has them), so they cost it nothing.
    bool fold_alternatives = true;
};

struct RenderedBody {
    std::string html;       // a fragment: balanced, allow-listed, escaped
    bool truncated = false; // something was left out (and the fragment says so)
};

[[nodiscard]] RenderedBody render_message(std::string_view message, const RenderOptions& options,
                                          RenderBudget& budget);

} // namespace qm::web::server

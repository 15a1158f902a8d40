// HTML from mail made safe to put inside one of the archive's pages: an allow-list
// sanitizer over Google's gumbo (a conforming HTML5 parser, Debian's libgumbo), never a
// parser of our own. The document is parsed as a browser would parse it; then only
// elements of text structure are written back, by us, with every text and attribute value
// escaped again: nothing from the mail reaches the page as it came. Pure functions.
//
// Kept: p br div span b i u em strong code pre blockquote ul ol li h1-h6 table thead
// tbody tr td th hr a, without any attribute of the mail's but a's href, and only an
// http or https href (written with rel="nofollow noopener noreferrer"). Dropped with
// everything in them: script, style, iframe, object, embed, svg, math, template, form,
// noscript and the like (html_dropped_elements says which). Images are never loaded
// (remote images tell a sender who reads, and the CSP blocks them anyway): an img becomes
// its alt text in brackets. Any other element is unwrapped: its text stays. Addresses in
// text and links are obfuscated as on every public page, and so mailto: links are shown as
// their (obfuscated) text without the link.
//
// gumbo 0.10 costs time quadratic in how deeply elements nest (10,000 nested <div> take
// half a second, a megabyte of them minutes, 300,000 nested <b> overflow its stack) and in
// formatting elements left open: each of r later paragraphs clones all f of them (HTML's
// "reconstruct the active formatting elements"), so f = r = 500 make 250,000 elements,
// about 0.4 s and 100 MB. Both grow with the number of tags, so what gumbo is given is
// bounded first: at most HtmlLimits::tags '<' (T of them cost at most T*T/4 clones) and
// HtmlLimits::bytes bytes; the rest is cut off and the result says so.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qm::web::server {

struct HtmlLimits {
    size_t bytes = 256u << 10; // of the HTML given to the parser
    size_t tags = 1000;        // '<' in it: bounds the parser's time (below)
    size_t depth = 32;         // elements written inside one another; deeper ones unwrapped
};

struct SanitizedHtml {
    std::string html;       // well-formed: every element written is closed, in order
    bool truncated = false; // the input was cut at a limit
    size_t tags = 0;        // '<' given to the parser (what it cost)
};

// html (UTF-8) as a fragment of allow-listed elements, to be put inside a <div>.
[[nodiscard]] SanitizedHtml sanitize_html(std::string_view html, const HtmlLimits& limits = {});

// The href a link may keep: http:// and https:// URLs (scheme matched without regard to case,
// after the blanks and controls that browsers skip are removed, so "java&#9;script:" and
// " JAVASCRIPT:" are seen for what they are), with addresses obfuscated; "" for anything
// else (javascript:, data:, vbscript:, mailto:, relative and scheme-relative URLs).
[[nodiscard]] std::string safe_href(std::string_view href);

} // namespace qm::web::server

#include "qm/web/server/sanitize.hpp"

#include "qm/web/index/text.hpp"
#include "qm/web/server/html.hpp"

#include <gumbo.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace qm::web::server {

namespace {

// Elements dropped with everything in them: they run code, load things, hold style
// sheets or forms, or are not text (SVG and MathML are dropped by their namespace).
bool dropped(GumboTag tag) {
    switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_APPLET:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_OPTGROUP:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_DATALIST:
    case GUMBO_TAG_KEYGEN:
    case GUMBO_TAG_OUTPUT:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_META:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_MAP:
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_XMP:
    case GUMBO_TAG_PLAINTEXT:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_COL:
        return true;
    default:
        return false;
    }
}

// Elements written as they are (without attributes but a's href).
bool kept(GumboTag tag) {
    switch (tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SPAN:
    case GUMBO_TAG_B:
    case GUMBO_TAG_I:
    case GUMBO_TAG_U:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_STRONG:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_A:
        return true;
    default:
        return false;
    }
}

// Block elements outside the allow-list written as <div>, so their text keeps its lines.
bool as_div(GumboTag tag) {
    switch (tag) {
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_LEGEND:
        return true;
    default:
        return false;
    }
}

bool heading(GumboTag tag) {
    return tag >= GUMBO_TAG_H1 && tag <= GUMBO_TAG_H6;
}

bool table_context(GumboTag tag) {
    return tag == GUMBO_TAG_TABLE || tag == GUMBO_TAG_THEAD || tag == GUMBO_TAG_TBODY ||
           tag == GUMBO_TAG_TR;
}

// Whether child may be written inside parent (the innermost element written): table parts
// only where a table puts them and list items only in lists, so that the page's parser
// builds the tree we mean and nothing is moved out of its table (foster parenting) or
// closes an element of ours.
bool fits(GumboTag parent, GumboTag child) {
    switch (child) {
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TBODY:
        return parent == GUMBO_TAG_TABLE;
    case GUMBO_TAG_TR:
        return parent == GUMBO_TAG_TABLE || parent == GUMBO_TAG_THEAD || parent == GUMBO_TAG_TBODY;
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
        return parent == GUMBO_TAG_TR;
    case GUMBO_TAG_LI:
        // An <li> start tag closes an open li through any div between (HTML's "in body"
        // rules), so an li anywhere but directly in a list could end a div of ours early
        // and let its </div> close the page's.
        return parent == GUMBO_TAG_UL || parent == GUMBO_TAG_OL;
    default:
        return !table_context(parent);
    }
}

bool only_blanks(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    });
}

class Writer {
public:
    Writer(std::string& out, const HtmlLimits& limits)
        : out_(out)
        , limits_(limits) {}

    void children(const GumboVector& nodes) {
        for (unsigned i = 0; i < nodes.length; ++i)
            node(static_cast<const GumboNode*>(nodes.data[i]));
    }

private:
    [[nodiscard]] GumboTag parent() const { return open_.empty() ? GUMBO_TAG_DIV : open_.back(); }
    [[nodiscard]] bool inside(GumboTag tag) const {
        return std::find(open_.begin(), open_.end(), tag) != open_.end();
    }
    [[nodiscard]] bool inside_heading() const {
        return std::any_of(open_.begin(), open_.end(), heading);
    }

    void text(std::string_view t) {
        if (table_context(parent())) {
            if (only_blanks(t))
                out_ += t;
            return; // text a table would move out of itself
        }
        out_ += escape_html(obfuscate_addresses(t));
    }

    void node(const GumboNode* n) {
        switch (n->type) {
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_CDATA:
        case GUMBO_NODE_WHITESPACE:
            text(n->v.text.text);
            return;
        case GUMBO_NODE_ELEMENT:
            element(n);
            return;
        default: // comments, templates, the document
            return;
        }
    }

    void element(const GumboNode* n) {
        const GumboElement& e = n->v.element;
        if (e.tag_namespace != GUMBO_NAMESPACE_HTML || dropped(e.tag))
            return;
        if (e.tag == GUMBO_TAG_IMG) {
            const GumboAttribute* alt = gumbo_get_attribute(&e.attributes, "alt");
            const std::string_view a = alt ? std::string_view(alt->value) : std::string_view{};
            text(only_blanks(a) ? std::string("[image]") : "[image: " + std::string(a) + "]");
            return;
        }
        GumboTag tag = e.tag;
        if (as_div(tag))
            tag = GUMBO_TAG_DIV;
        if (tag == GUMBO_TAG_TFOOT)
            tag = GUMBO_TAG_TBODY;
        std::string href;
        if (tag == GUMBO_TAG_A) {
            const GumboAttribute* h = gumbo_get_attribute(&e.attributes, "href");
            href = h ? safe_href(h->value) : std::string{};
        }
        // Written when allowed, where it fits, not too deep, and not inside one of its own
        // kind where the page's parser would close the outer one instead.
        const size_t room = tag == GUMBO_TAG_TABLE ? 4 : 1; // a table needs its parts' levels
        bool write = kept(tag) && fits(parent(), tag) && open_.size() + room <= limits_.depth;
        if (tag == GUMBO_TAG_A && (href.empty() || inside(GUMBO_TAG_A)))
            write = false;
        if ((tag == GUMBO_TAG_P && inside(GUMBO_TAG_P)) || (heading(tag) && inside_heading()))
            write = false;
        if (!write) {
            // Table parts that do not fit hold nothing but rows and cells: their text
            // stays through the unwrapped children; other elements lose only their tag.
            if (table_context(parent()) && !table_context(tag) && tag != GUMBO_TAG_TD &&
                tag != GUMBO_TAG_TH)
                return;
            children(e.children);
            return;
        }
        const char* name = gumbo_normalized_tagname(tag);
        out_ += '<';
        out_ += name;
        if (tag == GUMBO_TAG_A)
            out_ += " href=\"" + escape_html(href) + "\" rel=\"nofollow noopener noreferrer\"";
        out_ += '>';
        if (tag == GUMBO_TAG_BR || tag == GUMBO_TAG_HR)
            return; // void elements: no content, no end tag
        if (tag == GUMBO_TAG_PRE && e.children.length > 0) {
            // A parser drops a newline right after <pre>: keep the text's own first one.
            const auto* first = static_cast<const GumboNode*>(e.children.data[0]);
            if ((first->type == GUMBO_NODE_TEXT || first->type == GUMBO_NODE_WHITESPACE) &&
                first->v.text.text[0] == '\n')
                out_ += '\n';
        }
        open_.push_back(tag);
        children(e.children);
        open_.pop_back();
        out_ += "</";
        out_ += name;
        out_ += '>';
    }

    std::string& out_;
    const HtmlLimits& limits_;
    std::vector<GumboTag> open_; // the elements written and not yet closed
};

struct OutputDeleter {
    void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

} // namespace

std::string safe_href(std::string_view href) {
    // What a browser's URL parser ignores: C0 controls and spaces around, tabs and line
    // breaks anywhere ("java\tscript:" is javascript:).
    std::string url;
    for (char c : href)
        if (c != '\t' && c != '\n' && c != '\r')
            url += c;
    const auto edge = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
    while (!url.empty() && edge(url.front()))
        url.erase(0, 1);
    while (!url.empty() && edge(url.back()))
        url.pop_back();
    const size_t colon = url.find(':');
    if (colon == std::string::npos)
        return {}; // relative: it would point into the archive
    std::string scheme = url.substr(0, colon);
    for (char& c : scheme)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    // Only the URL's usual form, scheme "://" host: "http:x" and "http:/x" mean something
    // else to each browser, and mail has no use for them.
    if ((scheme != "http" && scheme != "https") || url.compare(colon, 3, "://") != 0)
        return {};
    for (char c : url)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return {};
    return obfuscate_addresses(url);
}

SanitizedHtml sanitize_html(std::string_view html, const HtmlLimits& limits) {
    SanitizedHtml result;
    // Bound what the parser sees: bytes, then '<' (each a possible open element).
    if (html.size() > limits.bytes) {
        html = utf8_prefix(html, limits.bytes);
        result.truncated = true;
    }
    size_t tags = 0;
    for (size_t i = 0; i < html.size(); ++i)
        if (html[i] == '<' && ++tags > limits.tags) {
            html = html.substr(0, i);
            result.truncated = true;
            break;
        }
    result.tags = std::min(tags, limits.tags);
    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 0; // the parse errors of hostile HTML are not kept: memory
    const std::unique_ptr<GumboOutput, OutputDeleter> doc(
        gumbo_parse_with_options(&options, html.data(), html.size()));
    if (!doc)
        return result;
    Writer w(result.html, limits);
    w.children(doc->root->v.element.children);
    // gumbo gives UTF-8 for UTF-8; make sure of it whatever it gave.
    if (!is_valid_utf8(result.html))
        result.html = repair_utf8(result.html);
    return result;
}

} // namespace qm::web::server

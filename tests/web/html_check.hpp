// The web tests' and web_render_fuzz's check of HTML the archive writes, with a real HTML5
// parser (gumbo, as a browser parses it) rather than string search, and with allow-lists
// of its own: a mistake in the sanitizer's tables is not repeated here.
#pragma once

#include <gumbo.h>

#include <string>
#include <string_view>
#include <vector>

namespace webtest {

inline std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Whether href is one a page may carry: http(s), or a path of the archive itself.
inline bool harmless_href(std::string_view href) {
    std::string h;
    for (char c : href)
        if (static_cast<unsigned char>(c) > 0x20)
            h += c; // what a browser would skip or strip
    const std::string l = lower_ascii(h);
    if (l.starts_with("http://") || l.starts_with("https://"))
        return true;
    return h.starts_with("/") && !h.starts_with("//") && l.find(':') == std::string::npos;
}

struct HtmlRules {
    std::vector<std::string_view> elements; // allowed tag names
    bool page = false;                      // a whole page: its own attributes allowed
};

// What a message's body fragment may hold: the sanitizer's allow-list and the renderer's
// own structure (quotes folded in details, headers of enclosed messages in dl).
inline const HtmlRules& fragment_rules() {
    static const HtmlRules r{{"p",     "br",      "div",     "span", "b",          "i",  "u",
                              "em",    "strong",  "code",    "pre",  "blockquote", "ul", "ol",
                              "li",    "h1",      "h2",      "h3",   "h4",         "h5", "h6",
                              "table", "thead",   "tbody",   "tr",   "td",         "th", "hr",
                              "a",     "details", "summary", "dl",   "dt",         "dd"},
                             false};
    return r;
}

inline const HtmlRules& page_rules() {
    static const HtmlRules r = [] {
        HtmlRules p = fragment_rules();
        p.page = true;
        for (std::string_view e : {"html", "head", "body", "meta", "title", "link", "header",
                                   "article", "nav", "form", "input", "button", "mark"})
            p.elements.push_back(e);
        return p;
    }();
    return r;
}

// Every problem found in the parsed document: an element not allowed, an attribute not
// allowed (on*, style, src, id from mail...), a link that is not harmless.
inline std::vector<std::string> html_problems(const GumboNode* root, const HtmlRules& rules) {
    std::vector<std::string> problems;
    std::vector<const GumboNode*> todo{root};
    while (!todo.empty() && problems.size() < 20) {
        const GumboNode* n = todo.back();
        todo.pop_back();
        if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE)
            continue;
        const GumboElement& e = n->v.element;
        std::string name =
            e.tag == GUMBO_TAG_UNKNOWN
                ? lower_ascii(std::string_view(e.original_tag.data, e.original_tag.length))
                : gumbo_normalized_tagname(e.tag);
        if (e.tag_namespace != GUMBO_NAMESPACE_HTML)
            problems.push_back("foreign element " + name);
        bool allowed = false;
        for (auto a : rules.elements)
            allowed = allowed || a == name;
        if (!allowed)
            problems.push_back("element " + name);
        for (unsigned i = 0; i < e.attributes.length; ++i) {
            const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[i]);
            const std::string an = lower_ascii(a->name);
            const std::string_view v = a->value;
            bool ok = false;
            if (an == "href")
                ok = name == "a" || (rules.page && name == "link");
            if (an == "href" && !harmless_href(v))
                ok = false;
            if (an == "rel" && name == "a")
                ok = v == "nofollow noopener noreferrer";
            if (an == "rel" && rules.page && name == "link")
                ok = v == "stylesheet" || v == "alternate";
            if (an == "download" && name == "a")
                ok = v.empty();
            if (an == "class")
                ok = v == "meta" || v == "html" || v == "att" || v == "q" || v == "h" ||
                     (rules.page &&
                      (v == "t" || v == "t top" || v == "threads" || v == "hits" || v == "pages"));
            if (rules.page && !an.starts_with("on") && an != "style" && an != "src" &&
                an != "srcdoc" && an != "href" && an != "formaction" && an != "class" &&
                an != "rel")
                ok = true; // the page's own: charset, lang, content, type, action...
            if (!ok)
                problems.push_back("attribute " + an + "=\"" + std::string(v.substr(0, 60)) +
                                   "\" on " + name);
        }
        for (unsigned i = 0; i < e.children.length; ++i)
            todo.push_back(static_cast<const GumboNode*>(e.children.data[i]));
    }
    return problems;
}

struct ParsedHtml {
    GumboOutput* out;
    explicit ParsedHtml(std::string_view html)
        : out(gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size())) {}
    ~ParsedHtml() { gumbo_destroy_output(&kGumboDefaultOptions, out); }
    ParsedHtml(const ParsedHtml&) = delete;
    ParsedHtml& operator=(const ParsedHtml&) = delete;
};

inline const GumboNode* body_of(const GumboOutput* out) {
    const GumboVector& c = out->root->v.element.children;
    for (unsigned i = 0; i < c.length; ++i) {
        const auto* n = static_cast<const GumboNode*>(c.data[i]);
        if (n->type == GUMBO_NODE_ELEMENT && n->v.element.tag == GUMBO_TAG_BODY)
            return n;
    }
    return nullptr;
}

// The problems of a body fragment, and whether it stays in its container and closes what
// it opens: put between <div id=c> and <span id=end></span></div><p id=after>, the body
// must hold exactly the div and the p, and the span must be the div's last child (an
// element the fragment left open would hold it; one that closed the div would leave it
// outside).
inline std::vector<std::string> fragment_problems(std::string_view fragment) {
    const std::string doc = "<!DOCTYPE html><html><head></head><body><div id=\"c\">" +
                            std::string(fragment) +
                            "<span id=\"end\"></span></div><p id=\"after\"></p></body></html>";
    ParsedHtml p(doc);
    const GumboNode* body = body_of(p.out);
    if (body == nullptr)
        return {"no body"};
    std::vector<std::string> problems;
    std::vector<const GumboNode*> elements;
    for (unsigned i = 0; i < body->v.element.children.length; ++i) {
        const auto* n = static_cast<const GumboNode*>(body->v.element.children.data[i]);
        if (n->type == GUMBO_NODE_ELEMENT)
            elements.push_back(n);
        else if (n->type == GUMBO_NODE_TEXT)
            problems.push_back("text outside the container");
    }
    const auto id = [](const GumboNode* n) {
        const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, "id");
        return a ? std::string(a->value) : std::string{};
    };
    if (elements.size() != 2 || id(elements[0]) != "c" || id(elements[1]) != "after") {
        problems.push_back("the fragment leaves its container");
        return problems;
    }
    const GumboVector& inner = elements[0]->v.element.children;
    const auto* last =
        inner.length > 0 ? static_cast<const GumboNode*>(inner.data[inner.length - 1]) : nullptr;
    if (last == nullptr || last->type != GUMBO_NODE_ELEMENT || id(last) != "end") {
        problems.push_back("the fragment leaves an element open or closes one not its own");
        return problems;
    }
    for (unsigned i = 0; i + 1 < inner.length; ++i) {
        auto more = html_problems(static_cast<const GumboNode*>(inner.data[i]), fragment_rules());
        problems.insert(problems.end(), more.begin(), more.end());
    }
    return problems;
}

inline std::vector<std::string> page_problems(std::string_view page) {
    ParsedHtml p(page);
    return html_problems(p.out->root, page_rules());
}

} // namespace webtest

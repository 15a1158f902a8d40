#include "qm/web/server/render.hpp"

#include "qm/inject/header.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/web/index/text.hpp"
#include "qm/web/server/html.hpp"
#include "qm/web/server/route.hpp"

#include <algorithm>
#include <memory>

namespace qm::web::server {

namespace {

using qm::lists::MediaType;

struct Node {
    enum class Kind { container, text, html, message, attachment, note };
    Kind kind = Kind::container;
    std::string type; // the media type: a container's multipart type
    std::string html; // a leaf's fragment; an enclosed message's header block
    std::vector<std::unique_ptr<Node>> children;
    // An HTML part is sanitized only when it is written (an alternative not shown costs
    // nothing): its body as in the message, still encoded (a copy: walk_mime's views of
    // a part last only as long as its callback).
    std::string body;
    std::string encoding, charset;
    bool cut = false; // the copy is shorter than the part
};

std::string note(std::string_view what) {
    return "<p class=\"meta\">" + escape_html(what) + "</p>\n";
}

// At most max bytes of text, cut at a line end when there is one in its second half,
// else before a UTF-8 sequence that would be cut (so valid UTF-8 stays valid and is not
// taken for another charset).
std::string_view cut_text(std::string_view text, size_t max) {
    if (text.size() <= max)
        return text;
    const size_t nl = text.rfind('\n', max);
    if (nl != std::string_view::npos && nl >= max / 2)
        return text.substr(0, nl + 1);
    size_t end = max;
    for (int back = 0;
         back < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80; ++back)
        --end;
    return text.substr(0, end);
}

// A text part's body decoded to UTF-8 within the budget's text bytes (drawn down); cut
// says whether anything was left out.
std::string decode_text(std::string_view body, std::string_view encoding, std::string_view charset,
                        RenderBudget& budget, bool& cut) {
    // Decoding more than the budget's worth is wasted: base64 takes 4 bytes for 3 and
    // quoted-printable at most 3 for 1.
    const size_t encoded_room = budget.text_bytes * 3 + 4;
    cut = false;
    if (body.size() > encoded_room) {
        body = body.substr(0, encoded_room);
        cut = true;
    }
    const std::string decoded = qm::lists::decode_transfer_encoding(encoding, body);
    const std::string_view kept = cut_text(decoded, budget.text_bytes);
    cut = cut || kept.size() < decoded.size();
    std::string utf8 = to_utf8(kept, charset);
    if (utf8.size() > budget.text_bytes) { // a charset that grew in UTF-8
        utf8 = std::string(utf8_prefix(utf8, budget.text_bytes));
        cut = true;
    }
    budget.text_bytes -= utf8.size();
    return utf8;
}

std::string left_out(std::string_view what) {
    return note(std::string("A part of ") + std::string(what) +
                " is left out (this page shows enough); the raw message has it.");
}

std::string cut_short(std::string_view what) {
    return note(std::string("This part of ") + std::string(what) +
                " is cut short here (it is too long to show); the raw message has all of it.");
}

class Builder {
public:
    Builder(const RenderOptions& options, RenderBudget& budget, bool& truncated)
        : options_(options)
        , limits_(options.limits)
        , budget_(budget)
        , truncated_(truncated) {}

    // The MIME tree of message (a whole message or an enclosed one) into root, a container.
    void walk(std::string_view message, size_t enclosed, Node& root) {
        const auto split = qm::inject::split_message(message);
        auto type = qm::lists::content_type_of(split.fields);
        if (!type)
            type = MediaType{}; // a Content-Type nobody can read: text, as the index has it
        root.kind = Node::Kind::container;
        root.type = type->multipart() ? type->type : "multipart/mixed";
        std::vector<Node*> stack{&root}; // nullptr: a multipart left out (too many parts)
        qm::lists::MimeVisitor v;
        v.part = [&](const MediaType& t) {
            if (!t.multipart())
                return;
            Node* parent = stack.back();
            if (parent == nullptr || ++nodes_ > 2 * limits_.parts) {
                stack.push_back(nullptr);
                return;
            }
            auto child = std::make_unique<Node>();
            child->type = t.type;
            stack.push_back(child.get());
            parent->children.push_back(std::move(child));
        };
        v.end = [&](const MediaType&) {
            if (stack.size() > 1)
                stack.pop_back();
        };
        v.filler = [](std::string_view) {};
        v.leaf = [&](const MediaType& t, const std::vector<std::string>& fields,
                     std::string_view body) { leaf(t, fields, body, enclosed, stack.back()); };
        const unsigned before = leaves_;
        if (auto s = qm::lists::walk_mime(v, split, *type); !s) {
            // As the index reads it: broken MIME with no part read is one text part.
            truncated_ = true;
            if (leaves_ == before) {
                std::string_view body = split.body;
                if (body.starts_with('\n'))
                    body.remove_prefix(1);
                leaf(MediaType{.type = "text/plain", .charset = type->charset}, {}, body, enclosed,
                     &root);
                add(&root, Node::Kind::note, "",
                    note("The MIME structure of this message is broken (" +
                         qm::lists::excerpt(s.error().text) + "): its body is shown as text."));
            } else {
                add(&root, Node::Kind::note, "",
                    note("The MIME structure of this message is broken (" +
                         qm::lists::excerpt(s.error().text) +
                         "): the parts after that are left out; the raw message has them."));
            }
        }
    }

    [[nodiscard]] unsigned omitted() const { return omitted_; }

private:
    static void add(Node* parent, Node::Kind kind, std::string type, std::string html) {
        if (parent == nullptr)
            return;
        auto n = std::make_unique<Node>();
        n->kind = kind;
        n->type = std::move(type);
        n->html = std::move(html);
        parent->children.push_back(std::move(n));
    }

    void leaf(const MediaType& type, const std::vector<std::string>& fields, std::string_view body,
              size_t enclosed, Node* parent) {
        // Counted as the index counts (message.cpp's Walker), so part numbers agree.
        if (++leaves_ > limits_.parts || parent == nullptr) {
            ++omitted_;
            truncated_ = true;
            return;
        }
        const std::string encoding =
            qm::lists::unfolded_field(fields, "content-transfer-encoding").value_or("");
        const auto disposition = qm::web::part_disposition(fields);
        const bool is_plain = type.type == "text/plain";
        if ((is_plain || type.type == "text/html") && !disposition.attached) {
            text_part(type, encoding, body, is_plain, parent);
            return;
        }
        if (type.type == "message/rfc822" && !disposition.attached) {
            if (enclosed >= limits_.enclosed_depth) {
                truncated_ = true;
                add(parent, Node::Kind::note, "",
                    note("A message enclosed " + std::to_string(enclosed + 1) +
                         " levels deep is left out; the raw message has it."));
                return;
            }
            const std::string inner = qm::lists::decode_transfer_encoding(encoding, body);
            auto n = std::make_unique<Node>();
            n->kind = Node::Kind::message;
            n->type = type.type;
            n->html = enclosed_headers(inner);
            auto body_node = std::make_unique<Node>();
            Node& ref = *body_node;
            n->children.push_back(std::move(body_node));
            parent->children.push_back(std::move(n));
            walk(inner, enclosed + 1, ref);
            return;
        }
        add(parent, Node::Kind::attachment, type.type, attachment(leaves_, type, disposition));
    }

    void text_part(const MediaType& type, std::string_view encoding, std::string_view body,
                   bool is_plain, Node* parent) {
        if (!is_plain) {
            // No more is kept than the page's text could ever hold (decoding shrinks it).
            const size_t room = budget_.text_bytes * 3 + 4;
            if (html_copied_ >= room) {
                truncated_ = true;
                add(parent, Node::Kind::note, type.type, left_out("HTML"));
                return;
            }
            auto n = std::make_unique<Node>();
            n->cut = body.size() > room - html_copied_;
            body = body.substr(0, room - html_copied_);
            html_copied_ += body.size();
            n->kind = Node::Kind::html;
            n->type = type.type;
            n->body = std::string(body);
            n->encoding = encoding;
            n->charset = type.charset;
            if (parent != nullptr)
                parent->children.push_back(std::move(n));
            return;
        }
        if (budget_.text_bytes == 0) {
            truncated_ = true;
            add(parent, Node::Kind::note, type.type, left_out("text"));
            return;
        }
        bool cut = false;
        const std::string utf8 = decode_text(body, encoding, type.charset, budget_, cut);
        std::string html = render_text(utf8);
        if (cut) {
            truncated_ = true;
            html += cut_short("text");
        }
        add(parent, Node::Kind::text, type.type, std::move(html));
    }

    // From, Date and Subject of an enclosed message, decoded and escaped.
    std::string enclosed_headers(std::string_view inner) const {
        const auto split = qm::inject::split_message(inner);
        const auto field = [&](std::string_view name) {
            return qm::lists::unfolded_field(split.fields, name);
        };
        std::string out = "<dl class=\"h\">";
        if (auto from = field("from")) {
            const auto box = qm::web::parse_mailbox(*from);
            std::string who = obfuscate_addresses(utf8_prefix(box.name, limits_.field_bytes));
            if (!box.address.empty())
                who += (who.empty() ? "" : " <") +
                       obfuscate_address(utf8_prefix(box.address, limits_.field_bytes)) +
                       (box.name.empty() ? "" : ">");
            out += "<dt>From</dt><dd>" + escape_html(who) + "</dd>";
        }
        for (auto [name, label] :
             {std::pair<const char*, const char*>{"date", "Date"}, {"subject", "Subject"}})
            if (auto v = field(name))
                out += std::string("<dt>") + label + "</dt><dd>" +
                       escape_html(obfuscate_addresses(
                           utf8_prefix(decode_header_text(*v), limits_.field_bytes))) +
                       "</dd>";
        return out + "</dl>\n";
    }

    // A download link for the part the index lists as number part; a part it does not
    // list (past its limits) is named without a link.
    std::string attachment(unsigned part, const MediaType& type,
                           const qm::web::PartDisposition& disposition) const {
        const auto& atts = options_.attachments;
        const auto a = std::find_if(atts.begin(), atts.end(),
                                    [&](const qm::web::Attachment& x) { return x.part == part; });
        if (a == atts.end()) {
            const std::string name(utf8_prefix(disposition.filename, limits_.field_bytes));
            return "<p class=\"att\">" +
                   escape_html((name.empty() ? "attachment " + std::to_string(part) : name) + " (" +
                               repair_utf8(type.type) + ")") +
                   " <span class=\"meta\">not listed; the raw message has it</span></p>\n";
        }
        const std::string name =
            a->filename.empty() ? "attachment-" + std::to_string(a->part) : a->filename;
        return "<p class=\"att\"><a href=\"" +
               escape_html(options_.attachment_base + std::to_string(a->part) + "-" +
                           encode_segment(name)) +
               "\" download>" + escape_html(name) + "</a> <span class=\"meta\">" +
               escape_html(a->content_type) + ", " + std::to_string(a->size) +
               " bytes</span></p>\n";
    }

    const RenderOptions& options_;
    const Limits& limits_;
    RenderBudget& budget_;
    bool& truncated_;
    unsigned leaves_ = 0;
    unsigned omitted_ = 0;
    size_t nodes_ = 0;
    size_t html_copied_ = 0; // bytes of HTML parts kept for writing
};

bool holds(const Node& n, Node::Kind kind) {
    if (n.kind == kind)
        return true;
    return std::any_of(n.children.begin(), n.children.end(),
                       [&](const auto& c) { return holds(*c, kind); });
}

// The tree as HTML, sanitizing HTML parts as they are written, within the budget.
class Writer {
public:
    Writer(RenderBudget& budget, bool& truncated, bool fold_alternatives)
        : budget_(budget)
        , truncated_(truncated)
        , fold_(fold_alternatives) {}

    void write(const Node& n, std::string& out) {
        switch (n.kind) {
        case Node::Kind::container:
            if (n.type == "multipart/alternative" &&
                std::any_of(n.children.begin(), n.children.end(),
                            [](const auto& c) { return c->kind != Node::Kind::note; }))
                alternative(n, out);
            else
                children(n, out);
            return;
        case Node::Kind::message:
            out += "<blockquote>";
            out += n.html;
            children(n, out);
            out += "</blockquote>\n";
            return;
        case Node::Kind::html:
            html(n, out);
            return;
        default:
            out += n.html;
            return;
        }
    }

private:
    void children(const Node& n, std::string& out) {
        for (const auto& c : n.children)
            write(*c, out);
    }

    // multipart/alternative: one alternative shown, the others folded (or left out).
    void alternative(const Node& n, std::string& out) {
        const auto& cs = n.children;
        auto shown = std::find_if(cs.begin(), cs.end(),
                                  [](const auto& c) { return c->kind == Node::Kind::text; });
        if (shown == cs.end()) // RFC 2046 5.1.4: the last is the sender's preferred
            shown = std::find_if(cs.rbegin(), cs.rend(),
                                 [](const auto& c) { return c->kind != Node::Kind::note; })
                        .base() -
                    1;
        write(**shown, out);
        for (auto it = cs.begin(); it != cs.end(); ++it) {
            if (it == shown)
                continue;
            if ((*it)->kind == Node::Kind::note) {
                write(**it, out);
                continue;
            }
            if (!fold_)
                continue;
            const bool html = holds(**it, Node::Kind::html);
            out += "<details><summary>";
            out += html ? "HTML version" : "other version (" + escape_html((*it)->type) + ")";
            out += "</summary>\n";
            write(**it, out);
            out += "</details>\n";
        }
    }

    void html(const Node& n, std::string& out) {
        if (budget_.text_bytes == 0 || budget_.html_tags == 0) {
            truncated_ = true;
            out += left_out("HTML");
            return;
        }
        bool cut = false;
        const std::string utf8 = decode_text(n.body, n.encoding, n.charset, budget_, cut);
        HtmlLimits hl;
        hl.bytes = std::min(hl.bytes, utf8.size());
        hl.tags = std::min(hl.tags, budget_.html_tags);
        const auto s = sanitize_html(utf8, hl);
        budget_.html_tags -= std::min(budget_.html_tags, s.tags);
        out += "<div class=\"html\">" + s.html + "</div>\n";
        if (cut || n.cut || s.truncated) {
            truncated_ = true;
            out += cut_short("HTML");
        }
    }

    RenderBudget& budget_;
    bool& truncated_;
    bool fold_;
};

} // namespace

RenderedBody render_message(std::string_view message, const RenderOptions& options,
                            RenderBudget& budget) {
    RenderedBody out;
    bool cut_message = false;
    if (message.size() > options.limits.message_bytes) {
        message = message.substr(0, options.limits.message_bytes);
        cut_message = out.truncated = true;
    }
    Node root;
    Builder b(options, budget, out.truncated);
    b.walk(message, 0, root);
    Writer(budget, out.truncated, options.fold_alternatives).write(root, out.html);
    if (b.omitted() > 0)
        out.html +=
            note(std::to_string(b.omitted()) + (b.omitted() == 1 ? " part is" : " parts are") +
                 " left out (a message shows at most " + std::to_string(options.limits.parts) +
                 "); the raw message has them.");
    if (cut_message)
        out.html += note("Only the first " + std::to_string(options.limits.message_bytes >> 20) +
                         " MiB of this message are shown; the raw message has all of it.");
    return out;
}

} // namespace qm::web::server

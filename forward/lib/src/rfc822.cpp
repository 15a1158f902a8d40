#include "qm/fwd/rfc822.hpp"

#include "qm/control.hpp"

#include <array>
#include <optional>

namespace qm::fwd {

namespace {

enum class Tok { word, literal, left, right, at, dot, comma, semi, colon };

struct Token {
    Tok type;
    std::string_view text; // the line itself, or Scratch::unescaped
    bool quoted = false;   // a quoted-string word: an '@' inside does not count
};

// What a parse reuses from one line to the next. Texts view either the line or the two
// strings here, whose capacity is reserved to the line's length before each parse: no text
// is longer than its part of the line, so neither string reallocates under its views.
struct Scratch {
    std::vector<Token> toks;
    std::string unescaped; // token texts that had backslash escapes to undo
    std::string item_text; // addresses joined from their tokens
    std::vector<ItemView> phrase, out;
};

constexpr bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

constexpr bool is_special(char c) {
    switch (c) {
    case '(':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '.':
    case '[':
        return true;
    default:
        return false;
    }
}

// The characters that end an atom: white space and the specials, except the backslash,
// which takes the next character into the atom. A table: atoms are most of every line.
constexpr auto ends_atom = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[c] = is_space(static_cast<char>(c)) || (c != '\\' && is_special(static_cast<char>(c)));
    return t;
}();

Failure unparsable(std::string_view why) {
    return perm("5.3.5", std::string(why));
}

// raw with each backslash dropped and the character after it kept, appended to arena.
std::string_view unescape(std::string_view raw, std::string& arena) {
    std::size_t start = arena.size();
    for (std::size_t j = 0; j < raw.size(); ++j) {
        if (raw[j] == '\\')
            ++j;
        arena += raw[j];
    }
    return std::string_view(arena).substr(start);
}

// Fills the new token field by field: built elsewhere and copied in, it cost a
// store-forwarding stall per token (a third of the parse, by perf).
void add_token(Scratch& b, Tok type, std::string_view text, bool quoted = false) {
    Token& t = b.toks.emplace_back();
    t.type = type;
    t.text = text;
    t.quoted = quoted;
}

// Skips a comment starting at s[i]: comments nest and may hold escaped parentheses.
Status skip_comment(std::string_view s, std::size_t& i) {
    int depth = 0;
    for (; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == '(') {
            ++depth;
        } else if (s[i] == ')' && --depth == 0) {
            break;
        }
    }
    if (i >= s.size())
        return fail(unparsable("unterminated comment"));
    ++i;
    return {};
}

// A quoted string (which loses its quotes) or a domain literal (which keeps its brackets)
// starting at s[i].
Status delimited(std::string_view s, std::size_t& i, Scratch& b) {
    bool quote = s[i] == '"';
    char close = quote ? '"' : ']';
    std::size_t start = i;
    bool escaped = false;
    for (++i; i < s.size() && s[i] != close; ++i) {
        if (s[i] == '\\') {
            escaped = true;
            if (++i >= s.size())
                break;
        }
    }
    if (i >= s.size())
        return fail(
            unparsable(quote ? "unterminated quoted string" : "unterminated domain literal"));
    ++i;
    std::string_view raw = s.substr(start, i - start);
    if (quote)
        raw = raw.substr(1, raw.size() - 2);
    if (escaped)
        raw = unescape(raw, b.unescaped);
    add_token(b, quote ? Tok::word : Tok::literal, raw, quote);
    return {};
}

// An atom starting at s[i]; a backslash takes the next character into it, whatever it is.
Status atom(std::string_view s, std::size_t& i, Scratch& b) {
    std::size_t start = i;
    bool escaped = false;
    while (i < s.size() && !ends_atom[static_cast<unsigned char>(s[i])]) {
        if (s[i] == '\\') {
            escaped = true;
            if (++i >= s.size())
                return fail(unparsable("backslash at end of line"));
        }
        ++i;
    }
    std::string_view raw = s.substr(start, i - start);
    if (escaped)
        raw = unescape(raw, b.unescaped);
    add_token(b, Tok::word, raw);
    return {};
}

// The token of a special that stands alone, if c is one.
std::optional<Tok> punctuation(char c) {
    switch (c) {
    case '<':
        return Tok::left;
    case '>':
        return Tok::right;
    case '@':
        return Tok::at;
    case '.':
        return Tok::dot;
    case ',':
        return Tok::comma;
    case ';':
        return Tok::semi;
    case ':':
        return Tok::colon;
    default:
        return std::nullopt;
    }
}

Status tokenize(std::string_view s, Scratch& b) {
    b.toks.clear();
    b.unescaped.clear();
    b.unescaped.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        char c = s[i];
        if (is_space(c)) {
            ++i;
        } else if (c == '(') {
            if (auto r = skip_comment(s, i); !r)
                return r;
        } else if (c == '"' || c == '[') {
            if (auto r = delimited(s, i, b); !r)
                return r;
        } else if (auto p = punctuation(c)) {
            add_token(b, *p, s.substr(i, 1));
            ++i;
        } else {
            if (auto r = atom(s, i, b); !r)
                return r;
        }
    }
    return {};
}

bool is_word(const Token& t) {
    return t.type == Tok::word || t.type == Tok::literal;
}

// Joins the words, dots and '@'s of one address. Usually they lie side by side in the line
// and the address is a view of it; only when something was between them (a space, a
// comment, a quote) is the text copied to the end of text (reserved: see Scratch).
class ItemBuilder {
public:
    explicit ItemBuilder(std::string& text)
        : text_(text) {}

    void add(const Token& t) {
        if (t.type == Tok::at) {
            item_.has_at = true;
            item_.at = length();
        }
        if (!copied_ && (view_.empty() || view_.data() + view_.size() == t.text.data())) {
            view_ = std::string_view(view_.empty() ? t.text.data() : view_.data(),
                                     view_.size() + t.text.size());
            return;
        }
        if (!copied_) {
            start_ = text_.size();
            text_ += view_;
            copied_ = true;
        }
        text_ += t.text;
    }
    ItemView& done() {
        item_.text = copied_ ? std::string_view(text_).substr(start_) : view_;
        return item_;
    }

private:
    std::size_t length() const { return copied_ ? text_.size() - start_ : view_.size(); }

    std::string& text_;
    std::string_view view_; // the text while it is one piece of memory
    bool copied_ = false;   // else it is text_ from start_ on
    std::size_t start_ = 0;
    ItemView item_;
};

class Parser {
public:
    Parser(Scratch& b, bool allow_leading_at)
        : b_(b)
        , t_(b.toks)
        , allow_leading_at_(allow_leading_at) {
        b_.phrase.clear();
        b_.out.clear();
    }

    // Leaves the items in b.out.
    Status run() {
        while (i_ < t_.size()) {
            const Token& tok = t_[i_];
            if (tok.type == Tok::comma || tok.type == Tok::semi) {
                end_segment();
                ++i_;
            } else if (tok.type == Tok::colon) {
                end_segment();
                if (i_ + 2 < t_.size() && t_[i_ + 1].type == Tok::word && !t_[i_ + 1].quoted &&
                    t_[i_ + 1].text == "include" && t_[i_ + 2].type == Tok::colon) {
                    i_ += 3;
                    include_next_ = true;
                } else {
                    ++i_;
                }
            } else if (tok.type == Tok::left) {
                // A phrase before "<addr>" is a display name, not an address.
                b_.phrase.clear();
                if (include_next_) // a list is named by a plain word, never by "<...>"
                    emit(ItemView{Item::Kind::include});
                if (auto r = angle(); !r)
                    return r;
            } else if (tok.type == Tok::right) {
                return fail(unparsable("'>' without '<'"));
            } else {
                if (auto r = chain(); !r)
                    return r;
            }
        }
        end_segment();
        return {};
    }

private:
    void emit(ItemView it) {
        if (include_next_) {
            it.kind = Item::Kind::include;
            include_next_ = false;
        }
        b_.out.push_back(it);
    }
    // ":include:" followed by nothing names the empty file, which callers refuse.
    void end_segment() {
        flush_phrase();
        if (include_next_)
            emit(ItemView{Item::Kind::include});
    }
    void flush_phrase() {
        for (const auto& it : b_.phrase)
            emit(it);
        b_.phrase.clear();
    }

    Status angle() {
        ItemBuilder item(b_.item_text);
        for (++i_; i_ < t_.size() && t_[i_].type != Tok::right; ++i_) {
            if (t_[i_].type == Tok::left)
                return fail(unparsable("'<' inside '<...>'"));
            item.add(t_[i_]);
        }
        if (i_ >= t_.size())
            return fail(unparsable("'<' without '>'"));
        ++i_;
        emit(item.done());
        return {};
    }

    // word (('.' | '@') word?)* — a word directly after a word starts a new address.
    Status chain() {
        ItemBuilder item(b_.item_text);
        bool leading_at = false;
        if (t_[i_].type == Tok::at || t_[i_].type == Tok::dot) {
            bool first_item = b_.out.empty() && b_.phrase.empty() && !include_next_;
            if (t_[i_].type == Tok::dot || !allow_leading_at_ || !first_item)
                return fail(unparsable("address starts with '" + std::string(t_[i_].text) + "'"));
            leading_at = true;
            item.add(t_[i_++]);
            if (i_ >= t_.size() || !is_word(t_[i_]))
                return fail(unparsable("nothing after '@'"));
        }
        item.add(t_[i_++]);
        bool dangling_at = false;
        while (i_ < t_.size() && (t_[i_].type == Tok::dot || t_[i_].type == Tok::at)) {
            bool at = t_[i_].type == Tok::at;
            const Token& joiner = t_[i_++];
            if (i_ < t_.size() && is_word(t_[i_])) {
                item.add(joiner);
                item.add(t_[i_++]);
            } else if (at) {
                // token822 drops an '@' with no host after it ("joe@" is joe).
                dangling_at = true;
            } else {
                item.add(joiner);
            }
        }
        ItemView& it = item.done();
        it.leading_at = leading_at;
        it.dangling_at = dangling_at;
        b_.phrase.push_back(it);
        return {};
    }

    Scratch& b_;
    const std::vector<Token>& t_;
    bool allow_leading_at_;
    std::size_t i_ = 0;
    bool include_next_ = false;
};

ItemView view_of(const Item& it) {
    return {it.kind, it.text, it.has_at, it.at, it.leading_at, it.dangling_at};
}

} // namespace

struct AddressListParser::Buffers {
    Scratch scratch;
};

AddressListParser::AddressListParser()
    : b_(std::make_unique<Buffers>()) {}
AddressListParser::AddressListParser(AddressListParser&&) noexcept = default;
AddressListParser& AddressListParser::operator=(AddressListParser&&) noexcept = default;
AddressListParser::~AddressListParser() = default;

Result<std::span<const ItemView>> AddressListParser::parse(std::string_view line,
                                                           bool allow_leading_at) {
    Scratch& b = b_->scratch;
    if (auto t = tokenize(line, b); !t)
        return fail(t.error());
    b.item_text.clear();
    b.item_text.reserve(line.size());
    if (auto r = Parser(b, allow_leading_at).run(); !r)
        return fail(r.error());
    return std::span<const ItemView>(b.out);
}

Result<std::vector<Item>> parse_address_list(std::string_view line, bool allow_leading_at) {
    AddressListParser parser;
    auto items = parser.parse(line, allow_leading_at);
    if (!items)
        return fail(items.error());
    std::vector<Item> out;
    out.reserve(items->size());
    for (const ItemView& v : *items)
        out.push_back({v.kind, std::string(v.text), v.has_at, v.at, v.leading_at, v.dangling_at});
    return out;
}

Result<Qualify> load_qualify() {
    Qualify q;
    auto me = control::me();
    if (!me)
        return fail(me.error());
    q.me = *me;
    auto dh = control::read_line_or("defaulthost", q.me);
    auto dd = control::read_line_or("defaultdomain", q.me);
    auto pd = control::read_line_or("plusdomain", q.me);
    for (auto* r : {&dh, &dd, &pd})
        if (!*r)
            return fail(r->error());
    q.defaulthost = *dh;
    q.defaultdomain = *dd;
    q.plusdomain = *pd;
    return q;
}

void append_qualified(std::string& out, const ItemView& item, const Qualify& q) {
    if (!item.has_at) {
        (out += item.text) += '@';
        out += q.defaulthost;
        return;
    }
    std::string_view host = item.text.substr(item.at + 1);
    out += item.text.substr(0, item.at + 1);
    if (!host.empty() && host.back() == '+') {
        host.remove_suffix(1);
        (out += host) += '.';
        out += q.plusdomain;
    } else if (host.find('.') == std::string_view::npos) { // even "[x]", as qmail-inject does
        (out += host) += '.';
        out += q.defaultdomain;
    } else {
        out += host;
    }
}

std::string qualify(const Item& item, const Qualify& q) {
    std::string out;
    append_qualified(out, view_of(item), q);
    return out;
}

} // namespace qm::fwd

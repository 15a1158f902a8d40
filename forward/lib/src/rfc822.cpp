#include "qm/fwd/rfc822.hpp"

#include "qm/control.hpp"

namespace qm::fwd {

namespace {

enum class Tok { word, literal, left, right, at, dot, comma, semi, colon };

struct Token {
    Tok type;
    std::string text;
    bool quoted = false; // a quoted-string word: an '@' inside does not count
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_special(char c) {
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

Failure unparsable(std::string_view why) {
    return perm("5.3.5", std::string(why));
}

Result<std::vector<Token>> tokenize(std::string_view s) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        char c = s[i];
        if (is_space(c)) {
            ++i;
        } else if (c == '(') {
            // Comments nest and may hold escaped parentheses; they separate words.
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
        } else if (c == '"') {
            std::string text;
            for (++i; i < s.size() && s[i] != '"'; ++i) {
                if (s[i] == '\\' && ++i >= s.size())
                    break;
                text += s[i];
            }
            if (i >= s.size())
                return fail(unparsable("unterminated quoted string"));
            ++i;
            out.push_back({Tok::word, std::move(text), true});
        } else if (c == '[') {
            std::string text = "[";
            for (++i; i < s.size() && s[i] != ']'; ++i) {
                if (s[i] == '\\' && ++i >= s.size())
                    break;
                text += s[i];
            }
            if (i >= s.size())
                return fail(unparsable("unterminated domain literal"));
            ++i;
            out.push_back({Tok::literal, text + "]"});
        } else if (c == '<' || c == '>' || c == '@' || c == '.' || c == ',' || c == ';' ||
                   c == ':') {
            static constexpr std::string_view chars = "<>@.,;:";
            static constexpr Tok types[] = {Tok::left,  Tok::right, Tok::at,   Tok::dot,
                                            Tok::comma, Tok::semi,  Tok::colon};
            out.push_back({types[chars.find(c)], std::string(1, c)});
            ++i;
        } else {
            std::string text;
            while (i < s.size() && !is_space(s[i]) && (s[i] == '\\' || !is_special(s[i]))) {
                if (s[i] == '\\') {
                    if (++i >= s.size())
                        return fail(unparsable("backslash at end of line"));
                }
                text += s[i++];
            }
            out.push_back({Tok::word, std::move(text)});
        }
    }
    return out;
}

bool is_word(const Token& t) {
    return t.type == Tok::word || t.type == Tok::literal;
}

// Builds one address from a run of words joined by '.' and '@'.
Item make_item(const std::vector<const Token*>& toks) {
    Item it;
    for (const Token* t : toks) {
        if (t->type == Tok::at) {
            it.has_at = true;
            it.at = it.text.size();
        }
        it.text += t->text;
    }
    return it;
}

class Parser {
public:
    Parser(const std::vector<Token>& toks, bool allow_leading_at)
        : t_(toks)
        , allow_leading_at_(allow_leading_at) {}

    Result<std::vector<Item>> run() {
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
                phrase_.clear();
                if (include_next_) // a list is named by a plain word, never by "<...>"
                    emit(Item{Item::Kind::include, "", false, 0, false, false});
                if (auto r = angle(); !r)
                    return fail(r.error());
            } else if (tok.type == Tok::right) {
                return fail(unparsable("'>' without '<'"));
            } else {
                if (auto r = chain(); !r)
                    return fail(r.error());
            }
        }
        end_segment();
        return std::move(out_);
    }

private:
    void emit(Item it) {
        if (include_next_) {
            it.kind = Item::Kind::include;
            include_next_ = false;
        }
        out_.push_back(std::move(it));
    }
    // ":include:" followed by nothing names the empty file, which callers refuse.
    void end_segment() {
        flush_phrase();
        if (include_next_)
            emit(Item{Item::Kind::include, "", false, 0, false, false});
    }
    void flush_phrase() {
        for (auto& it : phrase_)
            emit(std::move(it));
        phrase_.clear();
    }

    Status angle() {
        std::vector<const Token*> inner;
        for (++i_; i_ < t_.size() && t_[i_].type != Tok::right; ++i_) {
            if (t_[i_].type == Tok::left)
                return fail(unparsable("'<' inside '<...>'"));
            inner.push_back(&t_[i_]);
        }
        if (i_ >= t_.size())
            return fail(unparsable("'<' without '>'"));
        ++i_;
        emit(make_item(inner));
        return {};
    }

    // word (('.' | '@') word?)* — a word directly after a word starts a new address.
    Status chain() {
        std::vector<const Token*> toks;
        bool leading_at = false;
        if (t_[i_].type == Tok::at || t_[i_].type == Tok::dot) {
            bool first_item = out_.empty() && phrase_.empty() && !include_next_;
            if (t_[i_].type == Tok::dot || !allow_leading_at_ || !first_item)
                return fail(unparsable("address starts with '" + t_[i_].text + "'"));
            leading_at = true;
            toks.push_back(&t_[i_++]);
            if (i_ >= t_.size() || !is_word(t_[i_]))
                return fail(unparsable("nothing after '@'"));
        }
        toks.push_back(&t_[i_++]);
        bool dangling_at = false;
        while (i_ < t_.size() && (t_[i_].type == Tok::dot || t_[i_].type == Tok::at)) {
            bool at = t_[i_].type == Tok::at;
            const Token* joiner = &t_[i_++];
            if (i_ < t_.size() && is_word(t_[i_])) {
                toks.push_back(joiner);
                toks.push_back(&t_[i_++]);
            } else if (at) {
                // token822 drops an '@' with no host after it ("joe@" is joe).
                dangling_at = true;
            } else {
                toks.push_back(joiner);
            }
        }
        Item it = make_item(toks);
        it.leading_at = leading_at;
        it.dangling_at = dangling_at;
        phrase_.push_back(std::move(it));
        return {};
    }

    const std::vector<Token>& t_;
    bool allow_leading_at_;
    std::size_t i_ = 0;
    bool include_next_ = false;
    std::vector<Item> phrase_, out_;
};

} // namespace

Result<std::vector<Item>> parse_address_list(std::string_view line, bool allow_leading_at) {
    auto toks = tokenize(line);
    if (!toks)
        return fail(toks.error());
    return Parser(*toks, allow_leading_at).run();
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

std::string qualify(const Item& item, const Qualify& q) {
    if (!item.has_at)
        return item.text + "@" + q.defaulthost;
    std::string local = item.text.substr(0, item.at + 1);
    std::string host = item.text.substr(item.at + 1);
    if (!host.empty() && host.back() == '+') {
        host.back() = '.';
        host += q.plusdomain;
    } else if (host.find('.') == std::string::npos) { // even "[x]", as qmail-inject does
        host += "." + q.defaultdomain;
    }
    return local + host;
}

} // namespace qm::fwd

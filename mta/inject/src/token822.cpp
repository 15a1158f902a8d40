#include "qm/inject/token822.hpp"

namespace qm::inject {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Bytes that end an atom (qmail's token822 atomok()).
bool ends_atom(char c) {
    switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '(':
    case '[':
    case '"':
    case '<':
    case '>':
    case ';':
    case ':':
    case '@':
    case ',':
    case '.':
        return true;
    default:
        return false;
    }
}

// qmail quotes atoms holding controls, 8-bit bytes, ')', ']' or '\\'. We also quote empty
// atoms and atoms holding a special that came in backslash-escaped ("a\\,b"), so that
// printing tokens and reading them back always gives the same tokens.
bool prints_as_atom(std::string_view s) {
    if (s.empty())
        return false;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 32 || c > 126 || c == ')' || c == ']' || c == '\\' || ends_atom(ch))
            return false;
    }
    return true;
}

bool is_word(TokenKind k) {
    return k == TokenKind::atom || k == TokenKind::literal || k == TokenKind::quoted ||
           k == TokenKind::comment;
}

// Where unparse puts a space between two tokens.
bool needs_space(const Token* prev, TokenKind next) {
    if (!prev)
        return false;
    if (prev->kind == TokenKind::colon || prev->kind == TokenKind::comma)
        return true;
    if (next == TokenKind::left)
        return true;
    return is_word(prev->kind) && is_word(next);
}

char special_char(TokenKind k) {
    switch (k) {
    case TokenKind::comma:
        return ',';
    case TokenKind::at:
        return '@';
    case TokenKind::dot:
        return '.';
    case TokenKind::left:
        return '<';
    case TokenKind::right:
        return '>';
    case TokenKind::colon:
        return ':';
    case TokenKind::semi:
        return ';';
    default:
        return 0;
    }
}

// Reads a bracketed token body starting after the opening byte; nesting applies to
// comments only.
Result<std::string> read_delimited(std::string_view text, size_t& i, char open, char close,
                                   bool nests) {
    std::string out;
    int level = 1;
    for (;;) {
        if (++i >= text.size())
            return fail(perm("5.6.0", std::string("unbalanced ") + open + " in header"));
        char c = text[i];
        if (c == close) {
            if (--level == 0)
                return out;
        } else if (nests && c == open) {
            ++level;
        } else if (c == '\\') {
            if (++i >= text.size())
                return fail(perm("5.6.0", std::string("unbalanced ") + open + " in header"));
            c = text[i];
        }
        out += c;
    }
}

} // namespace

Result<Tokens> tokenize(std::string_view text) {
    Tokens out;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (is_space(c))
            continue;
        switch (c) {
        case ',':
            out.push_back({TokenKind::comma, {}});
            continue;
        case '@':
            out.push_back({TokenKind::at, {}});
            continue;
        case '.':
            out.push_back({TokenKind::dot, {}});
            continue;
        case '<':
            out.push_back({TokenKind::left, {}});
            continue;
        case '>':
            out.push_back({TokenKind::right, {}});
            continue;
        case ':':
            out.push_back({TokenKind::colon, {}});
            continue;
        case ';':
            out.push_back({TokenKind::semi, {}});
            continue;
        case ')':
        case ']':
            return fail(perm("5.6.0", std::string("unbalanced ") + c + " in header"));
        case '(':
        case '"':
        case '[': {
            const char close = c == '(' ? ')' : c == '"' ? '"' : ']';
            auto body = read_delimited(text, i, c, close, c == '(');
            if (!body)
                return fail(body.error());
            TokenKind kind = c == '('   ? TokenKind::comment
                             : c == '"' ? TokenKind::quoted
                                        : TokenKind::literal;
            out.push_back({kind, std::move(*body)});
            continue;
        }
        default:
            break;
        }
        std::string atom;
        for (;;) {
            if (text[i] == '\\' && ++i >= text.size())
                break;
            atom += text[i];
            if (++i >= text.size() || ends_atom(text[i]))
                break;
        }
        --i;
        TokenKind kind = prints_as_atom(atom) ? TokenKind::atom : TokenKind::quoted;
        out.push_back({kind, std::move(atom)});
    }
    return out;
}

std::string unparse(std::span<const Token> tokens, std::size_t line_length) {
    // The text is cut into segments that end at each comma; between two segments the
    // break "\n " is kept only if joining would make the line longer than line_length
    // (the same greedy rule, and so the same bytes, as qmail's token822_unparse).
    std::vector<std::string> segments(1);
    const Token* prev = nullptr;
    for (const Token& t : tokens) {
        std::string& seg = segments.back();
        if (needs_space(prev, t.kind))
            seg += ' ';
        prev = &t;
        if (char sc = special_char(t.kind)) {
            seg += sc;
            if (t.kind == TokenKind::comma)
                segments.emplace_back();
            continue;
        }
        if (t.kind == TokenKind::quoted)
            seg += '"';
        else if (t.kind == TokenKind::literal)
            seg += '[';
        else if (t.kind == TokenKind::comment)
            seg += '(';
        for (char c : t.text) {
            switch (c) {
            case '"':
            case '[':
            case ']':
            case '(':
            case ')':
            case '\\':
            case '\r':
            case '\n':
                seg += '\\';
                break;
            default:
                break;
            }
            seg += c;
        }
        if (t.kind == TokenKind::quoted)
            seg += '"';
        else if (t.kind == TokenKind::literal)
            seg += ']';
        else if (t.kind == TokenKind::comment)
            seg += ')';
    }

    std::string out;
    // current: length of the line so far, up to the pending break after the last segment.
    std::size_t current = 0;
    for (size_t k = 0; k < segments.size(); ++k) {
        const std::string& seg = segments[k];
        if (k == 0) {
            out += seg;
            current = seg.size();
            continue;
        }
        if (line_length == 0 || current + 2 + seg.size() <= line_length) {
            out += seg;
            current += seg.size();
        } else {
            out += "\n ";
            out += seg;
            current = 1 + seg.size();
        }
    }
    out += '\n';
    return out;
}

std::string unquote(std::span<const Token> tokens) {
    std::string out;
    for (const Token& t : tokens) {
        switch (t.kind) {
        case TokenKind::comment:
            break;
        case TokenKind::literal:
            out += '[';
            out += t.text;
            out += ']';
            break;
        case TokenKind::atom:
        case TokenKind::quoted:
            out += t.text;
            break;
        default:
            out += special_char(t.kind);
            break;
        }
    }
    return out;
}

Token word_token(std::string_view text) {
    bool quote = text.empty() || text.front() == '.' || text.back() == '.';
    for (size_t i = 0; i < text.size() && !quote; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '.') {
            quote = i + 1 < text.size() && text[i + 1] == '.';
            continue;
        }
        quote = c <= 32 || c >= 127 || (ends_atom(text[i]) && c != '.') || c == ')' || c == ']' ||
                c == '\\';
    }
    return {quote ? TokenKind::quoted : TokenKind::atom, std::string(text)};
}

} // namespace qm::inject

#include "qm/inject/address_list.hpp"

#include <algorithm>

namespace qm::inject {

namespace {

Failure syntax(std::string text) {
    return perm("5.6.0", std::move(text));
}

bool is_phrase_part(TokenKind k) {
    return k == TokenKind::comment || k == TokenKind::atom || k == TokenKind::quoted ||
           k == TokenKind::at || k == TokenKind::dot;
}

// Right-to-left state: pieces and the address being collected are both built reversed.
struct Splitter {
    std::vector<Piece> out;
    Tokens address;

    void token(const Token& t) { out.push_back({false, {t}}); }
    void emit_address() {
        std::reverse(address.begin(), address.end());
        out.push_back({true, std::move(address)});
        address.clear();
    }
    // A pending address to the right ends here; with comma, a separator goes to its left
    // (qmail's rule for "illegal space between addresses").
    void flush(bool comma) {
        if (address.empty())
            return;
        emit_address();
        if (comma)
            token({TokenKind::comma, {}});
    }
};

} // namespace

Result<std::vector<Piece>> split_address_list(std::span<const Token> value,
                                              std::vector<Tokens>* found_before_error) {
    Splitter sp;
    // qmail hands each address to its rewriting callback as the right-to-left scan meets
    // it, so the addresses to the right of a syntax error are recipients all the same.
    auto failed = [&](std::string text) -> Result<std::vector<Piece>> {
        if (found_before_error != nullptr) {
            found_before_error->clear();
            for (auto it = sp.out.rbegin(); it != sp.out.rend(); ++it)
                if (it->is_address)
                    found_before_error->push_back(it->tokens);
        }
        return fail(syntax(std::move(text)));
    };
    bool in_group = false;
    bool word_ok = true; // false right after (to the left of) a word of an address
    size_t i = value.size();
    while (i > 0) {
        const Token& t = value[i - 1];
        switch (t.kind) {
        case TokenKind::semi:
            sp.flush(true);
            if (in_group)
                return failed("nested group in address list");
            in_group = true;
            word_ok = true;
            sp.token(t);
            --i;
            break;
        case TokenKind::colon:
            sp.flush(false);
            if (!in_group)
                return failed("':' outside a group in address list");
            in_group = false;
            // The group name runs back to the previous comma, which is kept too.
            while (i > 0 && value[i - 1].kind != TokenKind::comma)
                sp.token(value[--i]);
            if (i > 0)
                sp.token(value[--i]);
            word_ok = true;
            break;
        case TokenKind::right:
            sp.flush(true);
            sp.token(value[--i]);
            while (i > 0 && value[i - 1].kind != TokenKind::left)
                sp.address.push_back(value[--i]);
            sp.emit_address(); // even when empty: <> is an address
            if (i == 0)
                return failed("'>' without '<' in address list");
            sp.token(value[--i]);
            while (i > 0 && is_phrase_part(value[i - 1].kind))
                sp.token(value[--i]);
            word_ok = false;
            break;
        case TokenKind::atom:
        case TokenKind::quoted:
        case TokenKind::literal:
            if (!word_ok)
                sp.flush(true);
            word_ok = false;
            sp.address.push_back(value[--i]);
            break;
        case TokenKind::comment:
            // Lexically a space: it does not end a word.
            sp.token(value[--i]);
            break;
        case TokenKind::comma:
            sp.flush(false);
            word_ok = true;
            sp.token(value[--i]);
            break;
        default: // '@', '.', a stray '<'
            word_ok = true;
            sp.address.push_back(value[--i]);
            break;
        }
    }
    sp.flush(false);
    std::reverse(sp.out.begin(), sp.out.end());
    return std::move(sp.out);
}

Tokens join_pieces(const std::vector<Piece>& pieces,
                   const std::function<Tokens(const Tokens&)>& rewrite) {
    Tokens out;
    for (const Piece& p : pieces) {
        if (!p.is_address) {
            out.insert(out.end(), p.tokens.begin(), p.tokens.end());
            continue;
        }
        Tokens r = rewrite(p.tokens);
        out.insert(out.end(), r.begin(), r.end());
    }
    return out;
}

Tokens strip_route(const Tokens& address) {
    if (address.empty() || address.front().kind != TokenKind::at)
        return address;
    auto colon = std::find_if(address.begin(), address.end(),
                              [](const Token& t) { return t.kind == TokenKind::colon; });
    if (colon == address.end())
        return {};
    return Tokens(colon + 1, address.end());
}

Result<std::vector<ListAddress>> parse_address_list(std::string_view value) {
    auto tokens = tokenize(value);
    if (!tokens)
        return fail(tokens.error());
    auto pieces = split_address_list(*tokens);
    if (!pieces)
        return fail(pieces.error());

    std::vector<ListAddress> out;
    std::string group;
    Tokens words; // phrase or group-name words since the last separator
    auto words_text = [&words] {
        std::string s;
        for (const Token& t : words) {
            if (t.kind == TokenKind::comment)
                continue;
            if (!s.empty() && t.kind != TokenKind::dot && t.kind != TokenKind::at &&
                s.back() != '.' && s.back() != '@')
                s += ' ';
            s += t.kind == TokenKind::dot  ? std::string(".")
                 : t.kind == TokenKind::at ? std::string("@")
                                           : t.text;
        }
        return s;
    };
    for (size_t k = 0; k < pieces->size(); ++k) {
        const Piece& p = (*pieces)[k];
        if (p.is_address) {
            ListAddress a;
            a.address = unquote(strip_route(p.tokens));
            a.group = group;
            a.angle = k > 0 && !(*pieces)[k - 1].is_address &&
                      (*pieces)[k - 1].tokens[0].kind == TokenKind::left;
            if (a.angle) {
                a.display = words_text();
            } else if (k + 1 < pieces->size() && !(*pieces)[k + 1].is_address &&
                       (*pieces)[k + 1].tokens[0].kind == TokenKind::comment) {
                a.display = (*pieces)[k + 1].tokens[0].text;
            }
            out.push_back(std::move(a));
            words.clear();
            continue;
        }
        const Token& t = p.tokens[0];
        switch (t.kind) {
        case TokenKind::colon:
            group = words_text();
            words.clear();
            break;
        case TokenKind::semi:
            group.clear();
            words.clear();
            break;
        case TokenKind::comma:
        case TokenKind::right:
            words.clear();
            break;
        case TokenKind::left:
            break;
        default:
            words.push_back(t);
            break;
        }
    }
    return out;
}

} // namespace qm::inject

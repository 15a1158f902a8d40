// RFC 822 header tokens as qmail-inject sees them (qmail-header(5)): atoms, quoted strings,
// domain literals, comments and the specials , @ . < > : ;. Tokenizing, printing back with
// qmail's folding (lines of about 80 columns broken after commas), and the "unquoted"
// envelope form of an address. Pure functions, no I/O.
#pragma once

#include "qm/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qm::inject {

enum class TokenKind : std::uint8_t {
    atom,
    quoted,  // "..." (text without quotes and escapes)
    literal, // [...]
    comment, // (...) (text without the outer parentheses)
    comma,
    at,
    dot,
    left,  // <
    right, // >
    colon,
    semi,
};

struct Token {
    TokenKind kind = TokenKind::atom;
    std::string text; // only for atom, quoted, literal, comment

    friend bool operator==(const Token&, const Token&) = default;
};

using Tokens = std::vector<Token>;

// Splits header text into tokens. Whitespace (space, tab, CR, LF) separates tokens and is
// dropped; a backslash quotes the next byte everywhere. An atom holding bytes that cannot
// stand unquoted (controls, 8-bit, ')', ']', '\', escaped specials) becomes a quoted
// string, so that tokenize(unparse(t)) == t. Unbalanced comments, quotes, literals or a
// stray ')' / ']' are a permanent failure.
[[nodiscard]] Result<Tokens> tokenize(std::string_view text);

// Prints tokens back as qmail-inject does: one space where two words meet, after ':' and
// ',', and before '<'; quoted strings, literals and comments re-escaped; lines broken after
// commas ("\n  ") only when needed to stay within line_length. The result ends in "\n".
[[nodiscard]] std::string unparse(std::span<const Token> tokens, std::size_t line_length = 80);

// The envelope form: tokens concatenated without quotes, comments dropped, literals keep
// their brackets ("joe smith"@[1.2.3.4] -> joe smith@[1.2.3.4]).
[[nodiscard]] std::string unquote(std::span<const Token> tokens);

// A token for a string that must print as one word: an atom if it can, else quoted.
[[nodiscard]] Token word_token(std::string_view text);

} // namespace qm::inject

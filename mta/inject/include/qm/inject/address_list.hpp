// RFC 822 address lists (qmail-header(5) "ADDRESS LISTS"): addresses separated by commas,
// groups "name: a, b;", "phrase <route-addr>", bare addresses with trailing comments.
// Like qmail's token822_addrlist the list is read right to left, which makes the grammar
// unambiguous without lookahead, and where two addresses stand side by side without a
// comma ("djb fred") a comma is inserted between them. Pure functions, no I/O.
#pragma once

#include "qm/inject/token822.hpp"
#include "qm/result.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::inject {

// One element of a split list: either an address (its tokens, without the angle
// brackets) or a token that belongs to the surrounding syntax (phrase, comment, comma,
// brackets, group name and punctuation).
struct Piece {
    bool is_address = false;
    Tokens tokens; // exactly one token when !is_address

    friend bool operator==(const Piece&, const Piece&) = default;
};

// Splits the value tokens of an address-list field. An address inside <> is always an
// address piece, even when empty ("<>"). Unbalanced groups or a '>' without '<' are a
// permanent failure; then *found_before_error, when given, gets the addresses the
// right-to-left scan had met before the error (left to right), which qmail-inject takes
// as recipients all the same ("To: a:b@x" gives b@x).
[[nodiscard]] Result<std::vector<Piece>>
split_address_list(std::span<const Token> value, std::vector<Tokens>* found_before_error = nullptr);

// The tokens again, each address piece replaced by rewrite(address tokens).
[[nodiscard]] Tokens join_pieces(const std::vector<Piece>& pieces,
                                 const std::function<Tokens(const Tokens&)>& rewrite);

// A structured view for callers that want the addresses rather than the bytes.
struct ListAddress {
    std::string address; // envelope form: unquoted, source route removed
    std::string display; // the phrase before <...>, or else the comment after a bare address
    std::string group;   // name of the enclosing group, empty outside groups
    bool angle = false;  // written as <...>

    friend bool operator==(const ListAddress&, const ListAddress&) = default;
};

// Parses a field value such as `"Joe Q." <joe@x>, team: ann@y (Ann), bob;`.
[[nodiscard]] Result<std::vector<ListAddress>> parse_address_list(std::string_view value);

// The tokens of an address without a leading source route ("@a,@b:joe@x" -> joe@x).
[[nodiscard]] Tokens strip_route(const Tokens& address);

} // namespace qm::inject

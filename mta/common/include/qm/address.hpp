// Envelope addresses as qmail stores them: bytes "local@domain" without angle brackets,
// the local part unquoted. Helpers to split, to lowercase domains, to quote a local part
// for the wire (qmail's quote.c rules), and to parse an RFC 5321 path "<...>".
#pragma once

#include "qm/result.hpp"

#include <string>
#include <string_view>

namespace qm::address {

struct Parts {
    std::string local;
    std::string domain; // empty when the address has no '@'
};

// Splits at the last '@'.
[[nodiscard]] Parts split(std::string_view addr);
[[nodiscard]] std::string lowercase(std::string_view s);
// Quotes the local part if it is not a plain dot-atom: "joe smith"@example.com.
[[nodiscard]] std::string quote(std::string_view addr);
// Like quote() but the empty address and "#@[]" come out unchanged (qmail's quote2 for
// Return-Path lines).
[[nodiscard]] std::string quote_for_header(std::string_view addr);
// "Return-Path: <sender>\n" as qmail-local writes it at the top of a delivered message:
// the sender quoted by quote_for_header, a newline in it made '_' so that the line stays
// one line.
[[nodiscard]] std::string return_path_line(std::string_view sender);
// RFC 5321 Reverse-path / Forward-path: "<>" or "<local@domain>" with optional source
// route, quoted-string local parts and backslash escapes removed. The text after the
// closing '>' (ESMTP parameters) is returned in params.
struct Path {
    std::string address;
    std::string params;
};
[[nodiscard]] Result<Path> parse_path(std::string_view text);

} // namespace qm::address

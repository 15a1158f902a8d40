// SMTP command lines (RFC 5321 section 4.1): the verb, case-insensitive, up to the first
// space; the argument is the rest. MAIL and RCPT arguments are split into the path and
// the ESMTP parameters (RFC 5321 section 4.1.2; SIZE from RFC 1870, BODY from RFC 6152).
#pragma once

#include "qm/address.hpp"
#include "qm/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qm::smtp {

enum class Verb : std::uint8_t {
    helo,
    ehlo,
    mail,
    rcpt,
    data,
    rset,
    noop,
    vrfy,
    expn,
    help,
    quit,
    starttls,
    auth,
    bdat,
    unknown,
};

struct Command {
    Verb verb = Verb::unknown;
    std::string_view argument; // after the verb and the spaces that follow it
};

// line has its CRLF (or LF) already removed.
[[nodiscard]] Command parse_command(std::string_view line);

struct MailArguments {
    std::string address;               // unquoted, source route dropped
    std::optional<std::uint64_t> size; // SIZE=
};

// A refused MAIL or RCPT argument: 501 for syntax, 555 for parameters we do not know
// (RFC 5321 section 4.1.1.11).
struct ArgumentError {
    int code = 501;
    std::string dsn;
    std::string text;
};

// "FROM:<path> params" (keyword "FROM") or "TO:<path> params" (keyword "TO"). A path
// without angle brackets is taken up to the first space, as qmail does. Parameters other
// than SIZE, BODY=7BIT/8BITMIME and AUTH are refused (555), as RFC 5321 asks.
[[nodiscard]] std::expected<MailArguments, ArgumentError>
parse_mail_arguments(std::string_view argument, std::string_view keyword);

// Longest address qmail-smtpd takes from a client: qmail's addrparse refuses an address
// whose length with its closing NUL is over 900, so 899 bytes is the most.
inline constexpr size_t max_smtp_address = 899;

} // namespace qm::smtp

// POP3 commands as qmail-pop3d reads them (RFC 1939's transaction state): a verb, case
// insensitive, up to the first space, and the rest after any spaces. Message numbers
// count from 1. Pure functions, no I/O; fuzzed (tests/fuzz/pop3_command_fuzz.cpp).
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace qm::pop3 {

enum class Verb { quit, stat, list, uidl, dele, retr, rset, last, top, noop, capa, unknown };

struct Command {
    Verb verb = Verb::unknown;
    std::string argument; // after the verb and its spaces; empty when none
};

// A command line (without its LF; a CR before it is dropped) as verb, lower-cased, and
// the argument after the spaces that follow it: both states read lines so.
struct Words {
    std::string verb;
    std::string argument;
};
[[nodiscard]] Words split_command(std::string_view line);

// line: without its LF (a CR before it is dropped here).
[[nodiscard]] Command parse_command(std::string_view line);

// Why a message number was refused, with qmail-pop3d's texts (error_text).
enum class NumberError { syntax, zero, too_big };
[[nodiscard]] std::string_view error_text(NumberError e);

// The 0-based index of the message argument names: leading digits as qmail's scan_ulong
// reads them (what follows is ignored, as there), 1..count.
[[nodiscard]] std::expected<size_t, NumberError> message_index(std::string_view argument,
                                                               size_t count);

// TOP's second number, the body lines wanted; nullopt when there is none (then the whole
// message, as qmail-pop3d sends it).
[[nodiscard]] std::optional<unsigned long> top_lines(std::string_view argument);

} // namespace qm::pop3

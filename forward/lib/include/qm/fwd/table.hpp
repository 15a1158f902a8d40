// fastforward 0.51's forwarding table: the setforward(1) instruction language and the
// cdb records it becomes, byte for byte, so Debian's fastforward and printforward read
// our tables and we read theirs.
//   ":" + lowercase(target) -> "&addr\0" "/list\0" "./list\0" "|prog\0" "!prog\0" ...
//   "?" + lowercase(target) -> owner address (no prefix, no NUL)
// target is "user@host", "@host" (every user at host) or "user@" (user at every host).
#pragma once

#include "qm/result.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::fwd {

struct Record {
    std::string key, data;
    friend bool operator==(const Record&, const Record&) = default;
};

// Receives records in the order they must be written.
using RecordSink = std::function<Status(std::string_view key, std::string_view data)>;

// Parses setforward input and hands each record to sink. Errors are permanent and
// carry setforward's wording ("final instruction must end with semicolon", ...).
[[nodiscard]] Status parse_setforward(std::string_view input, const RecordSink& sink);
// Convenience for tests and tools.
[[nodiscard]] Result<std::vector<Record>> parse_setforward(std::string_view input);

// printforward(1): the records in setforward syntax. A key that is neither ':' nor '?'
// is "bad database format" (permanent).
[[nodiscard]] Result<std::string>
format_printforward(const std::vector<std::pair<std::string, std::string>>& records);

// Writes records into path atomically (temporary file, fsync, rename): a failure leaves
// the previous table in place.
[[nodiscard]] Status write_table(const std::string& path, const std::vector<Record>& records);

// The binary mailing lists of setmaillist(1): "&addr\0", "/path\0", "./path\0".
[[nodiscard]] std::string compile_maillist(std::string_view input);
// printmaillist(1); an entry not starting with '&', '/' or '.', or a missing final NUL,
// is "bad mailing list format" (permanent).
[[nodiscard]] Result<std::string> format_maillist(std::string_view bin);

} // namespace qm::fwd

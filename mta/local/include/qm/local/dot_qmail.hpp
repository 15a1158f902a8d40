// The .qmail file (dot-qmail(5)): its instruction grammar as a pure parser with no I/O,
// and qmail-local's search order (.qmail-ext, .qmail-prefix-default, ..., .qmail-default)
// with the DEFAULT value each candidate implies.
#pragma once

#include "qm/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::local {

struct Instruction {
    enum class Kind {
        comment,      // "#..."
        mbox,         // "/path" or "./path" not ending in '/'
        maildir,      // "/path/" or "./path/"
        program,      // "|command", target is the command without the '|'
        forward,      // "&address" or a bare address, target without the '&'
        forward_only, // "+list": from here on only forwards are allowed
        ignored,      // other '+' lines, and blank lines after the first
    };
    Kind kind = Kind::ignored;
    std::string target;

    friend bool operator==(const Instruction&, const Instruction&) = default;
};

// Splits content into lines (a final line without '\n' counts), strips trailing spaces
// and tabs, cuts each line at a NUL as qmail's C strings do, and classifies it. A blank
// first line is the temporary failure qmail reports, so a half-written file is retried.
[[nodiscard]] Result<std::vector<Instruction>> parse_dot_qmail(std::string_view content);

// qmail-local -n's description of one instruction ("mbox ./Mailbox", "forward joe@x"),
// nullopt for lines it does not print (comments, '+' lines).
[[nodiscard]] std::optional<std::string> describe(const Instruction& in);

// ext lowercased with '.' replaced by ':' (qmail's safeext), so a file name cannot
// contain a dot-dot path and the search is case-insensitive.
[[nodiscard]] std::string safe_ext(std::string_view ext);

struct Candidate {
    std::string name; // ".qmail-foo-default"
    // DEFAULT is ext.substr(*default_from) when this file is used.
    std::optional<size_t> default_from;
};

// The files qmail-local tries in order for dash and ext: ".qmail<dash><safeext>", then
// ".qmail<dash><prefix ending in '-'>default" from the longest prefix to the empty one.
[[nodiscard]] std::vector<Candidate> search_order(std::string_view dash, std::string_view ext);

} // namespace qm::local

// tcpserver's per-client rules (ucspi-tcp's tcprules(1) format, byte-compatible cdb):
// "address:instructions" lines, the instructions "allow" or "deny" followed by
// ",VAR=<d>value<d>" settings where <d> is any delimiter character. In the cdb each key
// is an address and its data a list of NUL-terminated records: "D" for deny,
// "+VAR=value" for a setting; allow adds nothing.
#pragma once

#include "qm/cdb.hpp"
#include "qm/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm::server {

struct CompiledRule {
    std::string key;
    std::string data;
};

// Compiles a rules file; an error names source and the line number.
[[nodiscard]] Result<std::vector<CompiledRule>> compile_rules(std::string_view text,
                                                              std::string_view source);

struct RuleDecision {
    bool deny = false;
    std::vector<std::pair<std::string, std::string>> env; // in the order of the rule
    std::string matched;                                  // the key that matched
};

// The first rule that applies to a client, in tcpserver's order: INFO@IP, INFO@=HOST,
// IP, =HOST, shorter prefixes of IP ending in '.', =.suffixes of HOST, "=", "".
// nullopt when no rule applies (tcpserver then allows).
[[nodiscard]] std::optional<RuleDecision> lookup_rules(const cdb::Reader& rules,
                                                       std::string_view ip,
                                                       std::optional<std::string_view> host = {},
                                                       std::optional<std::string_view> info = {});

// Opens the rules cdb at path (again each time, so a new table applies at once) and looks
// up a client by IP. A missing or unreadable table is a temporary failure: a daemon must
// then refuse clients rather than allow everyone.
[[nodiscard]] Result<std::optional<RuleDecision>> consult_rules(const std::string& path,
                                                                std::string_view ip);

} // namespace qm::server

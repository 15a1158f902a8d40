// Fuzzes the sublist formats: a dir/split line (parse_split_rule), a request in $DEFAULT
// (split_request) and a sender against a parent (from_parent). Any input must give an
// answer, never a crash; a parsed rule has 0 <= lo <= hi <= 52 and a sublist address with
// an '@' or none (this list); a forwarded request goes to the rule's sublist host.
#include "fuzz_check.hpp"
#include "qm/lists/core/sublist.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto r = qm::lists::parse_split_rule(in, "list.example")) {
        QM_FUZZ_CHECK(r->lo <= r->hi && r->hi <= 52);
        QM_FUZZ_CHECK(r->sublist.empty() || r->sublist.find('@') != std::string::npos);
    } else {
        QM_FUZZ_CHECK(r.error().permanent());
    }
    using Match = qm::lists::SplitRule::Match;
    const std::vector<qm::lists::SplitRule> rules{
        {"far.example", 0, 52, "sub@hub.example", Match::domain_suffix},
        {"example.far", 0, 52, "sub@hub.example"},
        {"", 0, 26, "low@hub.example"}};
    QM_FUZZ_CHECK(qm::lists::split_hash(in) <= 52);
    (void)qm::lists::split_domain_key(in);
    if (auto to = qm::lists::split_request(rules, in, "joe@far.example"))
        QM_FUZZ_CHECK(to->ends_with("@hub.example"));
    (void)qm::lists::split_target(rules, in);
    (void)qm::lists::from_parent("main@hub.example", in);
    return 0;
}

// Fuzzes MTA-STS's readers of network input: the "_mta-sts" TXT records, the policy
// document fetched over HTTPS, and the cache file format written from it.
// Properties: a policy read back from its cache text is the same policy; a parsed policy
// keeps max_age within a year and has MX patterns unless its mode is none; an id is 1 to
// 32 letters and digits.
#include "fuzz_check.hpp"
#include "qm/remote/mta_sts.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace qm::remote::sts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // TXT records: the input's NUL-separated pieces.
    std::vector<std::string> records;
    for (std::string_view rest = input; !rest.empty();) {
        const size_t nul = rest.find('\0');
        records.emplace_back(rest.substr(0, nul));
        rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    }
    if (const auto id = txt_policy_id(records)) {
        QM_FUZZ_CHECK(!id->empty() && id->size() <= 32);
        for (const char c : *id)
            QM_FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9'));
    }

    if (auto policy = parse_policy(input)) {
        QM_FUZZ_CHECK(policy->max_age >= 0 && policy->max_age <= max_age_limit);
        QM_FUZZ_CHECK(policy->mode == Mode::none || !policy->mx.empty());
        policy->id = "fuzz1";
        policy->fetched = 1234;
        auto again = parse_cache_text(cache_text(*policy, input));
        QM_FUZZ_CHECK(again.has_value());
        QM_FUZZ_CHECK(again->mode == policy->mode && again->mx == policy->mx &&
                      again->max_age == policy->max_age && again->id == "fuzz1" &&
                      again->fetched == 1234);
        for (const auto& pattern : policy->mx)
            (void)policy->names(pattern);
    }
    (void)parse_cache_text(input);

    // MX patterns: the first line against the second.
    const size_t nl = input.find('\n');
    if (nl != std::string_view::npos) {
        const std::string_view pattern = input.substr(0, nl);
        const std::string_view host = input.substr(nl + 1);
        if (mx_pattern_matches(pattern, host) && !pattern.starts_with("*."))
            QM_FUZZ_CHECK(mx_pattern_matches(host, pattern));
    }
    return 0;
}

// MTA-STS (RFC 8461): a domain says in DNS ("_mta-sts.D" TXT "v=STSv1; id=...") that it
// publishes a policy at https://mta-sts.D/.well-known/mta-sts.txt, and the policy says
// which MX hosts may receive its mail and whether the sender must insist on TLS with a
// certificate that chains to a public CA and names the MX host ("mode: enforce"), only
// report failures ("testing"), or nothing ("none").
//
// This header holds the parts without I/O: the TXT record's and the policy's parsers (wire
// formats from the network, fuzzed by tests/fuzz/remote_mta_sts_fuzz.cpp), the MX pattern
// match, and the policy cache (memory, and a file per domain in queue/mtasts, written by
// qmail-remote's user). The HTTPS fetch is fetch_sts_policy in qm/remote/mta_sts_fetch.hpp,
// and remote delivery applies a policy for domains whose control/tlspolicy level is "sts".
#pragma once

#include "qm/result.hpp"

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::remote::sts {

enum class Mode : std::uint8_t { enforce, testing, none };
[[nodiscard]] std::string_view mode_name(Mode m);

// RFC 8461 3.2's cap on max_age (a year).
inline constexpr long max_age_limit = 31557600;
// RFC 8461 3.3: a policy body larger than this is refused.
inline constexpr size_t policy_size_limit = 64 * 1024;

struct Policy {
    Mode mode = Mode::none;
    std::vector<std::string> mx; // patterns: "mx.example.com" or "*.example.com"
    long max_age = 0;            // seconds
    std::string id;              // the TXT record's id it was fetched under
    std::time_t fetched = 0;     // when
    [[nodiscard]] bool expired(std::time_t now) const { return now >= fetched + max_age; }
    // Whether host (an MX name, any case, a trailing dot or not) matches a pattern.
    [[nodiscard]] bool names(std::string_view host) const;
};

// The id of a domain's "_mta-sts" TXT records (each record's strings already joined):
// the one record beginning "v=STSv1"; others are ignored. No such record, or more than
// one (RFC 8461 3.1: then the domain has no policy), or one without a valid id (1 to 32
// letters and digits): nullopt.
[[nodiscard]] std::optional<std::string> txt_policy_id(const std::vector<std::string>& records);

// The policy document (RFC 8461 3.2): "key: value" lines ended by LF or CRLF. version
// must be STSv1; mode and max_age must be given; mx at least once unless mode is none.
// Unknown keys are ignored; a known key other than mx given twice, a bad value, or a line
// without a colon is an error (temporary: the policy may be fixed) that says what.
// max_age above the cap is cut to it.
[[nodiscard]] Result<Policy> parse_policy(std::string_view text);

// One MX pattern against a host name: equal ignoring case and trailing dots, or
// "*.rest" where host is one label followed by ".rest" (RFC 8461 4.1).
[[nodiscard]] bool mx_pattern_matches(std::string_view pattern, std::string_view host);

// Policies fetched lately, in memory and, when dir is not empty, in dir/<domain>: the
// policy's text as served, after two lines "id: <id>" and "fetched: <unix time>". A file
// that cannot be written (a full disk, a queue without the directory) leaves the policy in
// memory only: the cache saves fetches, it keeps nothing that must not be lost.
class PolicyCache {
public:
    explicit PolicyCache(std::string dir = {})
        : dir_(std::move(dir)) {}
    // The policy for domain that has not expired at now, if any.
    [[nodiscard]] std::optional<Policy> find(const std::string& domain, std::time_t now);
    // Remembers a policy fetched for domain; text is the body it was parsed from.
    void store(const std::string& domain, const Policy& policy, std::string_view text);

private:
    [[nodiscard]] std::string file_of(const std::string& domain) const;
    std::string dir_;
    std::map<std::string, Policy> memory_;
};

// The cache file's text for a policy and back (exposed for the fuzz target and tests).
[[nodiscard]] std::string cache_text(const Policy& policy, std::string_view text);
[[nodiscard]] Result<Policy> parse_cache_text(std::string_view text);

} // namespace qm::remote::sts

// DKIM verification (RFC 6376 6) with OpenDKIM's library, its DNS questions asked through
// c-ares (qm/dns: control/dnsservers or the system's resolver), for the checks of inbound
// mail and their Authentication-Results (RFC 8601).
#pragma once

#include "qm/dns/lookup.hpp"
#include "qm/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qm::dkim {

// RFC 8601 2.7.1's results for one signature.
enum class Verdict : std::uint8_t { pass, fail, neutral, temperror, permerror };
[[nodiscard]] std::string_view verdict_name(Verdict v);

struct SignatureCheck {
    Verdict verdict = Verdict::neutral;
    std::string domain;   // d=
    std::string selector; // s=
    std::string reason;   // OpenDKIM's words when not pass
};

// Every DKIM-Signature of message, checked; none: an empty list ("dkim=none").
// A failure only when the library cannot be started.
[[nodiscard]] Result<std::vector<SignatureCheck>> verify(std::string_view message,
                                                         const dns::Config& dns);

} // namespace qm::dkim

// control/tlspolicy: how much TLS remote delivery insists on, per destination domain, with
// Postfix's level names. Lines "domain:level"; the lookup is smtproutes' (the exact domain,
// then each ".suffix" from the longest, then the empty key ":level", the default); '#'
// starts a comment. Without the file every domain is "may": STARTTLS when offered, the
// certificate unchecked, as before.
//   none      never STARTTLS
//   may       opportunistic TLS (RFC 7435)
//   encrypt   TLS required, the certificate not checked
//   dane      DANE (RFC 7672) when DNSSEC vouches for the MX host's TLSA records: then TLS
//             is required and the certificate must match one of them; else "may"
//   dane-only DANE required: no validated TLSA records, no delivery
//   verify    TLS required and the certificate must chain to a trusted CA
//             (control/tlscafile, else the system's) and name the MX host
//   sts       DANE where the MX host has DNSSEC-validated TLSA records (RFC 8461 2: DANE
//             comes first), else the domain's MTA-STS policy (qm/remote/mta_sts.hpp): in
//             "enforce" mode only the MX hosts it names, each as "verify"; else "may".
//             The level for the Internet at large: ":sts".
// A required level that cannot be met defers the mail (4.7.5) at that host and tries the
// next MX; the mail never goes in the clear instead.
#pragma once

#include "qm/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace qm::remote {

enum class TlsLevel : std::uint8_t { none, may, encrypt, dane, dane_only, verify, sts };
[[nodiscard]] std::string_view tls_level_name(TlsLevel l);

class TlsPolicy {
public:
    // The file's text; a line without a colon or with an unknown level is a permanent
    // configuration error naming file and line.
    [[nodiscard]] static Result<TlsPolicy> parse(std::string_view text, std::string_view file);
    [[nodiscard]] TlsLevel lookup(std::string_view domain) const;
    [[nodiscard]] bool empty() const { return map_.empty(); }

private:
    std::unordered_map<std::string, TlsLevel> map_;
};

} // namespace qm::remote

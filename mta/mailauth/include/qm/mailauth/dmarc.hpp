// DMARC (RFC 7489) for the checks of inbound mail, on libopendmarc: the policy record is
// looked up here through c-ares (qm/dns) and handed to the library, which parses it and
// judges the alignment of the SPF and DKIM results with the From domain. Organizational
// domains come from the Public Suffix List through libpsl (Debian's publicsuffix data),
// which libopendmarc also reads for its relaxed alignment.
#pragma once

#include "qm/dkim/verify.hpp"
#include "qm/dns/lookup.hpp"
#include "qm/mailauth/public_suffix.hpp"
#include "qm/mailauth/spf.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qm::mailauth {

// RFC 8601 2.7.6 (and RFC 7489 11.2)'s results for "dmarc=".
enum class DmarcResult : std::uint8_t { none, pass, fail, temperror, permerror };
[[nodiscard]] std::string_view dmarc_result_name(DmarcResult r);

// What the domain owner asks a receiver to do with mail that fails.
enum class DmarcPolicy : std::uint8_t { none, quarantine, reject };
[[nodiscard]] std::string_view dmarc_policy_name(DmarcPolicy p);

struct DmarcCheck {
    DmarcResult result = DmarcResult::none;
    std::string from_domain;                // header.from
    DmarcPolicy policy = DmarcPolicy::none; // p=, or sp= for a subdomain's mail
    std::string reason;                     // why it is not pass, for the comment
};

struct DmarcQuestion {
    std::string client_ip;                 // the connection's address, as text
    std::vector<std::string> from_domains; // every domain in the From field(s)
    SpfCheck spf;                          // MAIL FROM's (HELO's for the null sender)
    std::vector<dkim::SignatureCheck> dkim;
};

// The DMARC result of one message. From fields naming domains that differ: permerror
// (RFC 7489 6.6.1 leaves such mail to the receiver, which cannot pick one to trust).
[[nodiscard]] DmarcCheck check_dmarc(const DmarcQuestion& q, const dns::Config& dns);

} // namespace qm::mailauth

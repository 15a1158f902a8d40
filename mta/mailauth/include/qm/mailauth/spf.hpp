// SPF (RFC 7208) for the checks of inbound mail, on libspf2. libspf2 asks its questions
// through a DNS layer of ours that sends them with c-ares (qm/dns), so control/dnsservers
// and QMAIL_DNS_SERVER apply as they do to remote delivery; its own resolver layer would
// read /etc/resolv.conf only.
#pragma once

#include "qm/dns/lookup.hpp"
#include "qm/result.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace qm::mailauth {

// RFC 7208 2.6's results, which are also RFC 8601's names for "spf=".
enum class SpfResult : std::uint8_t { none, neutral, pass, fail, softfail, temperror, permerror };
[[nodiscard]] std::string_view spf_result_name(SpfResult r);

struct SpfCheck {
    SpfResult result = SpfResult::none;
    std::string identity; // the address (MAIL FROM) or the name (HELO) that was checked
    std::string domain;   // the domain whose policy was asked
    std::string comment;  // libspf2's words, for the header field's comment
};

struct SpfQuestion {
    boost::asio::ip::address client;
    std::string helo;
    std::string sender;   // MAIL FROM's address; empty for the null sender
    std::string receiver; // our name, for the explanation libspf2 builds
};

// check_host() for MAIL FROM (RFC 7208 2.4): the sender's domain; the null sender is
// "postmaster@" the HELO name, as the RFC says.
[[nodiscard]] SpfCheck check_mail_from(const SpfQuestion& q, const dns::Config& dns);
// check_host() for the HELO name (RFC 7208 2.3); none when the name is an address literal
// or has no dot.
[[nodiscard]] SpfCheck check_helo(const SpfQuestion& q, const dns::Config& dns);

} // namespace qm::mailauth

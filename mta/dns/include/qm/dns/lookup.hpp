// DNS through c-ares: MX and address lookups for remote delivery (qmail's dns.c:
// dns_mxip, dns_ip), TXT records for the list programs' DMARC checks. The lookups block:
// each runs its own c-ares channel in a poll loop, and qmail-send calls them on a worker
// thread, never on its event loop.
//
// The resolver is /etc/resolv.conf's unless QMAIL_DNS_SERVER or control/dnsservers names
// servers ("127.0.0.1:5353", "[::1]:53", several separated by commas or lines), which is
// how the tests point it at a DNS server on a loopback port.
#pragma once

#include "qm/result.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::dns {

struct Config {
    std::string servers; // c-ares CSV form; empty = the system resolver
    int timeout_ms = 5000;
    int tries = 2;
};

// QMAIL_DNS_SERVER, else control/dnsservers, else empty.
[[nodiscard]] Result<Config> load_config();

struct MxAddress {
    boost::asio::ip::address ip;
    unsigned preference = 0;
    std::string host; // the MX host name (or the domain itself without MX)
};

// "[1.2.3.4]", "[IPv6:::1]" or a bare dotted quad; nullopt for anything else.
[[nodiscard]] std::optional<boost::asio::ip::address> ip_literal(std::string_view host);

// qmail's dns_mxip: an address literal is itself (preference 0); else the MX records,
// ordered by preference with equal preferences in random order, each host's A and AAAA
// addresses; no MX record: the domain's own addresses with preference 0. Hard failures
// (no such domain) are permanent "Sorry, I couldn't find any host named D. (#5.1.2)",
// soft ones (timeouts, SERVFAIL) temporary (#4.1.2). An empty list is not a failure.
[[nodiscard]] Result<std::vector<MxAddress>> resolve_mx(const Config& c, std::string_view domain);
// A and AAAA of one host (an smtproutes relay), with the same failures.
[[nodiscard]] Result<std::vector<boost::asio::ip::address>> resolve_host(const Config& c,
                                                                         std::string_view host);

// The TXT records of name, each record's character-strings joined (RFC 7208 3.3). No such
// name or no TXT records is an empty list, not a failure: TXT records are optional by
// nature (DMARC, SPF). Timeouts and server failures are temporary.
[[nodiscard]] Result<std::vector<std::string>> resolve_txt(const Config& c, std::string_view name);

// The reply to one question (class IN, RR type type) as it came off the wire, for a
// library that parses replies itself (OpenDKIM's verifier): a reply with an error code
// (NXDOMAIN) is a reply too. No reply at all (timeouts, unreachable servers) is
// temporary.
[[nodiscard]] Result<std::string> query_raw(const Config& c, std::string_view name, int type);

// The reply to one question asked with the AD bit set (RFC 6840 5.7), so that a
// validating resolver tells whether it validated the answer (DNSSEC): authenticated is the
// reply's AD bit. Trust it only from a resolver you reach over a path nobody can tamper
// with (one on this host: control/dnsservers 127.0.0.1), as Postfix does.
struct AuthenticatedReply {
    std::string reply;
    bool authenticated = false;
};
[[nodiscard]] Result<AuthenticatedReply> query_authenticated(const Config& c, std::string_view name,
                                                             int type);

// A TLSA record (RFC 6698 2.1).
struct Tlsa {
    std::uint8_t usage = 0;    // 2 DANE-TA, 3 DANE-EE (0 and 1 are not for SMTP: RFC 7672 3.1.3)
    std::uint8_t selector = 0; // 0 whole certificate, 1 SubjectPublicKeyInfo
    std::uint8_t matching = 0; // 0 exact, 1 SHA-256, 2 SHA-512
    std::string data;
};
struct TlsaAnswer {
    std::vector<Tlsa> records;  // none: no such name, or no TLSA there
    bool authenticated = false; // the resolver validated the answer (or the denial)
};
// The TLSA records of _port._tcp.host (RFC 7672 2.2). A server failure or no reply is
// temporary: RFC 7672 2.2.1 has the client skip a host whose TLSA lookup failed.
[[nodiscard]] Result<TlsaAnswer> resolve_tlsa(const Config& c, std::string_view host,
                                              unsigned short port);
// The TLSA records of a reply as it came off the wire (libresolv parses it); nullopt when it
// does not parse or its code is neither success nor NXDOMAIN. resolve_tlsa's reading, on
// its own for the fuzz target.
[[nodiscard]] std::optional<std::vector<Tlsa>> parse_tlsa_reply(std::string_view reply);
// Whether the resolver validated the domain's MX answer (its A answer when it has no MX):
// DANE applies only to MX host names that DNSSEC vouches for (RFC 7672 2.2.2).
[[nodiscard]] Result<bool> mx_authenticated(const Config& c, std::string_view domain);

// This host's own addresses (qmail's ipme: every interface address, plus 0.0.0.0 and ::),
// for the local-MX rule.
[[nodiscard]] std::vector<boost::asio::ip::address> local_addresses();

} // namespace qm::dns

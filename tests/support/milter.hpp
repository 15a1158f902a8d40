// OpenDKIM and OpenDMARC, Debian's opendkim and opendmarc daemons, as the milters of a
// receiving Postfix (qmtest::PrivatePostfix): OpenDKIM verifies every DKIM signature and
// adds its Authentication-Results field, OpenDMARC trusts those results (its
// TrustedAuthservIDs is the same authserv-id) and adds its own. OpenDMARC asks DNS through
// libresolv (resolv.conf) and Debian's OpenDKIM through libunbound (its Nameservers
// setting); neither takes a port, so they run in a private network and mount namespace
// (unshare -n -m, as opendkim.hpp's testmsg does; needs root) with dnsmasq on its port 53
// and resolv.conf bind-mounted to point at it. Postfix, outside, reaches them through unix
// sockets in the temporary directory: a socket with a path name belongs to no network
// namespace.
#pragma once

#include "support.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qmtest {

// Why the milters cannot run here (not root, no namespaces, a daemon not installed);
// nullopt when they can.
[[nodiscard]] std::optional<std::string> milters_unavailable();

class VerifyingMilters {
public:
    // Starts dnsmasq answering with records (its options, as opendkim.hpp's dnsmasq_txt
    // makes them; names under .example it has no record for are NXDOMAIN), opendkim in
    // verify mode and opendmarc, both naming themselves authserv_id; returns once both
    // sockets exist. No client counts as internal: OpenDKIM verifies mail from 127.0.0.1
    // instead of taking it for mail to sign, and OpenDMARC does not ignore it. OpenDMARC
    // leaves SPF out (the SPF check it could make itself passes 127.0.0.1 whatever DNS
    // says), so its verdict rests on DKIM alone.
    explicit VerifyingMilters(const std::vector<std::string>& records,
                              const std::string& authserv_id = "pf.test");
    // Stops the daemons (SIGTERM; the namespace's shell reaps them).
    ~VerifyingMilters();
    VerifyingMilters(const VerifyingMilters&) = delete;
    VerifyingMilters& operator=(const VerifyingMilters&) = delete;

    // main.cf lines for the receiving Postfix: both milters for smtpd, OpenDKIM first so
    // that OpenDMARC reads its field, and a milter that fails makes Postfix answer 4xx
    // (milter_default_action = tempfail) instead of passing the mail unchecked.
    [[nodiscard]] std::string postfix_settings() const;
    // dnsmasq's log of the queries it answered.
    [[nodiscard]] std::string dns_log() const;
    // What the namespace's shell, opendkim and opendmarc wrote on stderr.
    [[nodiscard]] std::string log() const;

private:
    TempDir dir_;
    std::unique_ptr<Daemon> daemon_;
};

// The Authentication-Results fields in a message's header, in order, each unfolded: a line
// break and the white space after it become one space.
[[nodiscard]] std::vector<std::string> authentication_results(const std::string& message);

} // namespace qmtest

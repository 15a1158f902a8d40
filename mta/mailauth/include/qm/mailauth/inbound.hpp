// What qmail-smtpd checks of the mail it receives, when control/authcheck asks for it
// (off by default, as qmail checks nothing): SPF for MAIL FROM and HELO, every DKIM
// signature, DMARC; the results become an Authentication-Results field under our
// authserv-id, and a message whose From domain publishes p=reject and fails DMARC may be
// refused. Mail from a client allowed to relay (RELAYCLIENT) or authenticated is our
// users' own outgoing mail: it is not checked and never refused.
//
// control/authcheck, one word per line ('#' starts a comment):
//   spf           SPF for MAIL FROM and HELO
//   dkim          DKIM signatures
//   dmarc         DMARC (it needs SPF's and DKIM's results, so it runs them too)
//   dmarc-reject  refuse (554 5.7.1) mail that fails DMARC under p=reject
//   arc           the ARC chain (RFC 8617) the message came with, as it came: our own
//                 seal, when a list passes the message on, says what was found here
// control/authservid: the name in the field, default control/me.
#pragma once

#include "qm/dns/lookup.hpp"
#include "qm/mailauth/authentication_results.hpp"
#include "qm/result.hpp"

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::mailauth {

struct InboundChecks {
    bool spf = false;
    bool dkim = false;
    bool dmarc = false;
    bool dmarc_reject = false;
    bool arc = false;
    std::string authserv_id;

    [[nodiscard]] bool any() const { return spf || dkim || dmarc || arc; }
};

// control/authcheck's text; an unknown word is a permanent error naming file and line.
[[nodiscard]] Result<InboundChecks> parse_authcheck(std::string_view text, std::string_view file);
// control/authcheck and control/authservid under $QMAILHOME; nullopt when authcheck
// is missing or names nothing.
[[nodiscard]] Result<std::optional<InboundChecks>> load_inbound_checks();

struct Arrival {
    boost::asio::ip::address client;
    std::string helo;   // as the client gave it; empty without HELO/EHLO
    std::string sender; // MAIL FROM; empty for the null sender
    // RELAYCLIENT or an authenticated session: our own user's mail.
    bool trusted = false;
};

struct Outcome {
    std::string field;              // our Authentication-Results field; empty if trusted
    std::vector<ByteRange> forged;  // fields claiming our authserv-id, to leave out
    std::optional<Failure> refusal; // set when the message must be refused
};

// message: as queued (our Received line excluded), lines ending in LF.
[[nodiscard]] Outcome check_message(const InboundChecks& checks, const Arrival& arrival,
                                    std::string_view message, const dns::Config& dns);

} // namespace qm::mailauth

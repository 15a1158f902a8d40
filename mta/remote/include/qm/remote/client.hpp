// qmail-send's remote channel: SMTP or QMTP delivery of one message to the recipients at
// one domain over one connection, as a Boost.Asio coroutine on qmail-send's event loop
// (qmail-remote(8) in process). Routing by control/smtproutes, else MX then A/AAAA through
// c-ares on a worker thread; qmail's local-MX rule; every address tried in MX order
// until one connects (control/timeoutconnect), skipping those that lock/tcpto marks as
// down (qm/remote/tcpto.hpp); EHLO (HELO when EHLO gets 5xx) as control/helohost;
// opportunistic STARTTLS; MAIL with SIZE= and BODY=8BITMIME when offered, and the RCPTs,
// in one write under PIPELINING; every reply awaited at most control/timeoutremote.
//
// MXPS (mta.md section 6.3): an MX whose preference is 12801, 12817, ... 13041 (12800 to
// 13055, preference mod 16 = 1) speaks QMTP. Its addresses get a QMTP connection first
// (port 209, or control/qmtpport); only when that connection cannot be made is SMTP tried
// on the same address. Once QMTP is connected its answer stands.
//
// control/qmtproutes: smtproutes' lines for QMTP (the port defaults to control/qmtpport).
// A domain it names goes over QMTP only, to the relay or its MXes, with no SMTP
// fallback: the admin has said the host speaks QMTP. It is looked at before smtproutes.
// A QMTP connection whose every response came back carries the next package to the same
// host, as an SMTP connection carries the next transaction.
//
// A delivery ends in qmail-remote(8)'s report (Outcome): a letter for each recipient that
// got an answer, then the message's verdict, with qmail's texts ("1.2.3.4 does not like
// recipient.\nRemote host said: 550 ...", "Connected to 1.2.3.4 but connection died.
// Possible duplicate!"). The qmail-remote program prints it; qmail-send, in process or
// through qmail-rspawn, folds it into one Verdict per recipient (fold()).
#pragma once

#include "qm/dns/lookup.hpp"
#include "qm/remote/routes.hpp"
#include "qm/remote/tls_policy.hpp"
#include "qm/result.hpp"
#include "qm/verdict.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qm::remote {

struct ClientConfig {
    std::string helohost;                      // control/helohost, default me
    std::chrono::seconds timeout_connect{60};  // control/timeoutconnect
    std::chrono::seconds timeout_remote{1200}; // control/timeoutremote
    Routes routes;                             // control/smtproutes
    Routes qmtp_routes{209};                   // control/qmtproutes, before smtproutes
    dns::Config dns;                           // QMAIL_DNS_SERVER, control/dnsservers
    bool starttls = true;                      // opportunistic STARTTLS when offered
    // A connection that delivered waits a few seconds for the next message to the same
    // address (qmail-send's loop); a one-shot client (qmail-remote) says QUIT at once.
    bool reuse_connections = true;
    unsigned short qmtp_port = 209; // control/qmtpport, for MXPS hosts
    // lock/tcpto and lock/tcpto6; empty: downed hosts are not remembered.
    std::string tcpto_path, tcpto6_path;
    // Where control/dkimkeys is; read at the first delivery, not here: qmail-send loads
    // this configuration too, and in root mode it may not read qmailr's keys. Empty: no
    // signing.
    std::string dkim_keys;
    TlsPolicy tls_policy;    // control/tlspolicy (qm/remote/tls_policy.hpp)
    std::string tls_ca_file; // control/tlscafile: the CAs "verify" trusts; empty: the system's
    // MTA-STS (level "sts"): the HTTPS port policies are fetched from (control/mtastsport,
    // 443; another only for tests) and where they are cached (queue/mtasts; empty: in
    // memory only).
    unsigned short mta_sts_port = 443;
    std::string mta_sts_cache;
};

// MXPS: this MX preference says the host speaks QMTP.
[[nodiscard]] constexpr bool mx_speaks_qmtp(unsigned preference) {
    return preference >= 12800 && preference <= 13055 && preference % 16 == 1;
}

[[nodiscard]] Result<ClientConfig> load_client_config();

struct Job {
    std::string mess_path; // the stored message (mess/N)
    std::string sender;    // VERP already expanded
    std::string domain;    // every recipient's domain
    std::vector<std::string> recipients;
    int message_fd = -1; // when set, a seekable descriptor of the message, used instead of
                         // mess_path (qmail-remote's stdin)
};

// What one recipient's RCPT got: 'r' accepted, 'h' refused for good, 's' refused for
// now (with the reason), or 0 when the delivery stopped before it was answered.
struct RecipientReport {
    char letter = 0;
    std::string text; // ends with a newline when not empty
};

// qmail-remote's report: recipients in the Job's order, then the whole message's verdict
// (K accepted after the final dot, Z or D a failure before or after it).
struct Outcome {
    std::vector<RecipientReport> recipients; // one per recipient of the Job
    Verdict message;
};

// qmail-rspawn's folding, one verdict per recipient: one refused at RCPT keeps its own
// reason (and the message's when the message failed too); any other gets the message's.
[[nodiscard]] std::vector<Verdict> fold(const Outcome& o);

// qmail-remote(8)'s output: "r", "h" or "s" and the text for each answered recipient up to
// the first unanswered one, then the message's letter and text; each report ends in a NUL.
[[nodiscard]] std::string encode(const Outcome& o);
// The other way, for qmail-rspawn reading qmail-remote, for a delivery to `recipients`
// recipients. Output that does not end in a message report (a crashed or foreign
// program) is a temporary failure of every recipient.
[[nodiscard]] Outcome decode(std::string_view output, size_t recipients);

class Client {
public:
    Client(boost::asio::any_io_executor ex, ClientConfig cfg);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Never throws for network or DNS trouble: every failure is in the outcome.
    boost::asio::awaitable<Outcome> deliver(Job job);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace qm::remote

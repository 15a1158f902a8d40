// What qmail-smtpd accepts, from qmail's control files (qmail-smtpd(8)) and the
// connection's environment (tcp-environ(5), or a tcprules entry in daemon mode).
//
// One deliberate departure from qmail: without control/rcpthosts qmail accepts mail for
// every domain, an open relay. Here a recipient is accepted when qmail-send would deliver
// it here: the same routing (percenthack, locals, virtualdomains with its user@domain
// lines, .suffix wildcards and empty-prepend exceptions; qm/routing.hpp) decides, so an
// exception line such as "other.example:" or a percent-hack address that leaves this host
// is refused. With rcpthosts qmail's rule holds: the domain after the last '@', and a
// percenthack domain listed there relays "user%elsewhere@domain" as qmail does
// (relaying_percenthack lists them for a warning).
#pragma once

#include "qm/cdb.hpp"
#include "qm/mailauth/inbound.hpp"
#include "qm/result.hpp"
#include "qm/routing.hpp"
#include "qm/server/connection.hpp"

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm::smtp {

// Postfix's smtpd_recipient_limit: room for a list's batch to one host, yet bounded.
inline constexpr std::uint64_t default_maxrcpt = 1000;
inline constexpr std::uint64_t default_maxrcptsession = 100 * default_maxrcpt;
// RFC 5321 section 4.5.3.1.8: a server must take at least 100 recipients per message;
// a smaller setting is raised to this.
inline constexpr std::uint64_t min_maxrcpt = 100;
// A longer greeting delay (greetdelay, GREETDELAY) is cut to this: RFC 5321 section
// 4.5.3.2.1 has clients wait 5 minutes for the greeting, so more would fail good ones.
inline constexpr long max_greet_delay = 240;

struct Controls {
    std::string greeting;                   // smtpgreeting, default me
    std::optional<std::string> localiphost; // default me
    std::set<std::string> rcpthosts;        // lowercased; suffixes start with '.'
    // Without control/rcpthosts: qmail-send's routing; a recipient it delivers here is ours.
    std::shared_ptr<const Routing> delivered_here;
    // percenthack domains this door accepts, through which it relays (qmail's behaviour).
    std::vector<std::string> relaying_percenthack;
    std::shared_ptr<const cdb::Reader> morercpthosts; // morercpthosts.cdb, when present
    std::set<std::string> badmailfrom; // lowercased; "@domain" lines included as they are
    std::uint64_t databytes = 0;       // 0: no limit
    // Recipients accepted per message (maxrcpt) and per connection, over all its messages
    // (maxrcptsession); beyond them a recipient gets 452 (QMTP: Z) and the client sends
    // it later, as RFC 5321 section 4.5.3.1.10 has it.
    std::uint64_t maxrcpt = default_maxrcpt;
    std::uint64_t maxrcptsession = default_maxrcptsession;
    int timeout_seconds = 1200; // timeoutsmtpd
    // greetdelay: seconds to wait before the greeting; a client that talks in that time
    // breaks RFC 5321 (spamware does, to save time) and is turned away. 0: no wait.
    int greet_delay_seconds = 0;
    std::vector<std::string> local_ips; // this host's addresses, for box@[ip]
    // control/authcheck (qm/mailauth/inbound.hpp): SPF, DKIM and DMARC checks with an
    // Authentication-Results field; null when off, qmail's default.
    std::shared_ptr<const mailauth::InboundChecks> inbound_checks;
};

// Reads every control under $QMAILHOME/control. A control that cannot be read is a
// temporary failure naming the file (qmail's "421 unable to read controls").
[[nodiscard]] Result<Controls> load_controls();

// The connection with what the mail daemons read from its settings: RELAYCLIENT,
// DATABYTES, MAXRCPT, MAXRCPTSESSION and GREETDELAY (tcp-environ(5) and qm::server give
// the rest).
struct Connection : server::Connection {
    std::optional<std::string> relay_client;     // RELAYCLIENT: relaying allowed, value appended
    std::optional<std::uint64_t> databytes;      // DATABYTES overrides control/databytes
    std::optional<std::uint64_t> maxrcpt;        // MAXRCPT overrides control/maxrcpt
    std::optional<std::uint64_t> maxrcptsession; // MAXRCPTSESSION, control/maxrcptsession
    std::optional<std::uint64_t> greet_delay;    // GREETDELAY overrides control/greetdelay
};

// Applies a tcprules entry's settings: RELAYCLIENT, DATABYTES, MAXRCPT, MAXRCPTSESSION
// and GREETDELAY take effect here, and every setting is kept for qmail-queue's environment.
void apply_settings(Connection& conn, const std::vector<std::pair<std::string, std::string>>& env);

// A connection the --listen daemon admitted: its tcprules entry's settings (peer.env)
// applied as apply_settings() does.
[[nodiscard]] Connection with_settings(server::Connection peer);
// A connection under tcpserver or inetd: the settings come from the process environment.
[[nodiscard]] Connection with_environment(server::Connection peer);

// rcpthosts/morercpthosts, or without rcpthosts qmail-send's routing: may a client without
// RELAYCLIENT send to this recipient?
[[nodiscard]] bool recipient_allowed(const Controls& c, std::string_view address);
// The recipient limits for this connection: its setting, else the control file; never
// below min_maxrcpt.
struct RecipientLimits {
    std::uint64_t per_message;
    std::uint64_t per_session;
};
[[nodiscard]] RecipientLimits recipient_limits(const Controls& c, const Connection& conn);
// Seconds to hold the greeting back for this connection: GREETDELAY, else greetdelay;
// at most max_greet_delay. 0: greet at once.
[[nodiscard]] int greet_delay(const Controls& c, const Connection& conn);
// The reply to a client that talked before the greeting, after which the door closes.
[[nodiscard]] std::string early_talker_reply();
// badmailfrom: exact address or "@domain", case-insensitive.
[[nodiscard]] bool sender_refused(const Controls& c, std::string_view address);
// box@[d.d.d.d] naming one of our own addresses becomes box@localiphost.
[[nodiscard]] std::string rewrite_local_ip_literal(const Controls& c, std::string address);

// The Received line qmail-smtpd adds (received.c): "from" the client's host, its HELO
// when that differs, "(info@ip)", "by" our host, "with" protocol, date. Every byte that
// came from outside and is not in [A-Za-z0-9.@%+/=:[]-] is printed as '?'.
[[nodiscard]] std::string received_line(const Connection& conn, std::string_view helo,
                                        std::string_view protocol, std::time_t now);

} // namespace qm::smtp

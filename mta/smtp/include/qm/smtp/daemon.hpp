// qmail-smtpd as one long-running process: a Boost.Asio event loop holding every
// session, instead of a process per connection. Each session is the same Session state
// machine that the stdin/stdout mode drives; the wait for qmail-queue at the end of DATA
// runs on a small thread pool so that one message's fsyncs never stall other sessions.
#pragma once

#include "qm/result.hpp"
#include "qm/smtp/policy.hpp"

#include <memory>
#include <string>
#include <vector>

namespace qm::smtp {

struct DaemonOptions {
    std::vector<std::string> listen; // "127.0.0.1:2525", "[::1]:2525", ":25" (every address)
    // Submission listeners (RFC 6409, port 587 style): MAIL needs AUTH, offered after
    // STARTTLS, checked with the checkpassword program.
    std::vector<std::string> submission;
    std::vector<std::string> checkpassword; // program and its arguments
    // PEM file with the certificate chain and the private key; STARTTLS is offered when
    // it exists. Default: control/servercert.pem.
    std::string certificate;
    // tcprules cdb consulted for every connection (reopened each time, so a new table
    // applies at once): deny closes it, settings (RELAYCLIENT, DATABYTES, QMAILQUEUE,
    // ...) apply to it. Empty: everyone is allowed with no settings.
    std::string rules;
    // Write the queue in this process when it owns the queue (normal-user mode) and no
    // QMAILQUEUE is set; false: always a qmail-queue process per message.
    bool queue_in_process = true;
    unsigned max_connections = 100; // more are told 421 and closed
    // Sessions from one address (IPv6: one /64) at once; 0: max_connections / 2. A rule's
    // MAXCONNIP overrides it. More are told 421 and closed.
    unsigned max_per_ip = 0;
    // Started as root: the user to become after binding, before the first byte is read.
    std::string user = "qmaild";
    unsigned queue_threads = 4; // concurrent qmail-queue and checkpassword runs
};

// Serves until SIGTERM or SIGINT: then it stops accepting, lets the open sessions end
// (a second signal ends them at once) and returns 0. A listen address that cannot be
// bound is a temporary failure naming it.
[[nodiscard]] Status run_daemon(const DaemonOptions& options,
                                std::shared_ptr<const Controls> controls);

} // namespace qm::smtp

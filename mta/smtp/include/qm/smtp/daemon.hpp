// qmail-smtpd as qm::server::serve_main runs it: its own options, its controls read once,
// and its session in either mode. On stdin/stdout (tcpserver, inetd) the Session state
// machine is driven by serve_descriptors (qm/smtp/descriptors.hpp); in the --listen
// daemon every session is the same state machine on the one Boost.Asio event loop, and
// the wait for qmail-queue at the end of DATA (and for checkpassword) runs on the
// daemon's pool, so that one message's fsyncs never stall the other sessions.
#pragma once

#include "qm/server/serve.hpp"

#include <string>
#include <vector>

namespace qm::smtp {

struct DaemonOptions {
    // Submission listeners (RFC 6409, port 587 style): MAIL needs AUTH, offered after
    // STARTTLS, checked with the checkpassword program.
    std::vector<std::string> submission;
    std::vector<std::string> checkpassword; // program and its arguments
    // PEM file with the certificate chain and the private key; STARTTLS is offered when
    // it exists. Default: control/servercert.pem.
    std::string certificate;
    // --qmail-queue: a qmail-queue process per message even where the daemon could write
    // the queue itself (it owns the queue, in normal-user mode, and no QMAILQUEUE is set).
    bool always_qmail_queue = false;
};

// qmail-smtpd for serve_main, with usage as its --help. Its options beyond the shared
// ones: --submission, --checkpassword, --certificate, --qmail-queue. The daemon opens the
// --listen doors (plain SMTP, STARTTLS when a certificate is there) and the --submission
// ones; a submission door without a certificate or --checkpassword is a permanent
// failure. What cannot be served is "421 4.3.0" and exit 1, as in qmail.
[[nodiscard]] server::Service service(std::string usage);

} // namespace qm::smtp

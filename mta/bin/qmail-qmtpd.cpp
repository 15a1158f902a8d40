// qmail-qmtpd: receives mail by QMTP (cr.yp.to/proto/qmtp.txt) and hands each message to
// qmail-queue: on stdin/stdout as under tcpserver or inetd (qmail-qmtpd(8)), or, with
// --listen, as a daemon holding every connection in one event loop.
#include "qm/qmtp/server.hpp"
#include "qm/qmtp/session.hpp"
#include "qm/server/serve.hpp"

#include <memory>

namespace {

constexpr const char* usage =
    "usage: qmail-qmtpd [--listen ADDRESS:PORT ...] [--max-connections N]\n"
    "       [--max-per-ip N] [--user NAME]\n"
    "       [--rules RULES.cdb]  (tcprules cdb per connection: deny, RELAYCLIENT, ...)\n"
    "Without --listen, speaks QMTP (port 209) on stdin and stdout, as under tcpserver or\n"
    "inetd: any number of messages per connection, each answered once per recipient with\n"
    "K (queued by qmail-queue), Z (temporary failure) or D (permanent failure).\n"
    "Controls in $QMAILHOME/control (default /var/qmail): me, rcpthosts, morercpthosts.cdb,\n"
    "databytes, maxrcpt (recipients per package, default 1000; more get Z), maxrcptsession\n"
    "(per connection, default 100000); without rcpthosts only the recipients delivered\n"
    "here are accepted.\n"
    "Environment: TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO, TCPLOCALIP, TCPLOCALHOST,\n"
    "RELAYCLIENT (relaying allowed; appended to each recipient), DATABYTES, MAXRCPT,\n"
    "MAXRCPTSESSION.\n"
    "Broken framing is logged and ends the connection (exit 100); nothing of that message\n"
    "is queued. A session lasts at most an hour.\n"
    "With --listen (repeatable; 127.0.0.1:209, [::1]:209, :209 for every address) it is a\n"
    "(--listen systemd or systemd:NAME: the sockets systemd passes, socket activation)\n"
    "daemon: one process, at most --max-connections (default 100) sessions at once, and at\n"
    "most --max-per-ip (default half of --max-connections; a rule's MAXCONNIP=N overrides\n"
    "it) from one address (IPv6: one /64); more are closed unanswered.\n"
    "Started as root, the daemon binds, then becomes --user (default qmaild, with its\n"
    "passwd group) before reading a byte, and queues through the setuid qmail-queue.\n"
    "Without --listen it refuses to run as root (exit 111): use tcpserver -u and -g.\n"
    "SIGTERM or SIGINT stops accepting and waits for open sessions; a second signal ends them.";

} // namespace

int main(int argc, char** argv) {
    return qm::server::serve_main(
        argc, argv,
        qm::qmtp::service("qmail-qmtpd", usage, []() -> qm::Result<qm::qmtp::SessionFactory> {
            auto controls = qm::smtp::load_controls();
            if (!controls)
                return qm::fail(
                    qm::temp("4.3.0", "unable to read controls: " + controls.error().text));
            auto shared = std::make_shared<const qm::smtp::Controls>(std::move(*controls));
            return
                [shared](
                    const qm::smtp::Connection& conn) -> std::unique_ptr<qm::qmtp::ServerSession> {
                    return std::make_unique<qm::qmtp::QmtpSession>(shared, conn);
                };
        }));
}

// qmail-qmqpd: receives one message per connection by QMQP (cr.yp.to/proto/qmqp.html)
// and hands it to qmail-queue, for null clients (qmail-qmqpc) that send all their mail
// here. It relays anywhere, so only trusted clients may reach it (qmail-qmqpd(8)).
#include "qm/qmtp/server.hpp"
#include "qm/qmtp/session.hpp"
#include "qm/server/serve.hpp"

#include <memory>

namespace {

constexpr const char* usage =
    "usage: qmail-qmqpd [--listen ADDRESS:PORT ...] [--max-connections N]\n"
    "       [--max-per-ip N] [--user NAME]\n"
    "       [--rules RULES.cdb]  (tcprules cdb per connection: deny, RELAYCLIENT, ...)\n"
    "Without --listen, speaks QMQP (port 628) on stdin and stdout, as under tcpserver or\n"
    "inetd: one message per connection, answered with K (queued by qmail-queue), Z\n"
    "(temporary failure) or D (permanent failure).\n"
    "It relays to any recipient: let only your own null clients connect (tcprules, or a\n"
    "--listen address on the internal network).\n"
    "Environment: TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO, TCPLOCALIP, TCPLOCALHOST\n"
    "(for the Received line). Mail root: $QMAILHOME (default /var/qmail).\n"
    "Broken framing is logged and ends the connection (exit 100); nothing is queued.\n"
    "With --listen (repeatable; 127.0.0.1:628, [::1]:628, :628 for every address) it is a\n"
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
        qm::qmtp::service("qmail-qmqpd", usage, []() -> qm::Result<qm::qmtp::SessionFactory> {
            return
                [](const qm::smtp::Connection& conn) -> std::unique_ptr<qm::qmtp::ServerSession> {
                    return std::make_unique<qm::qmtp::QmqpSession>(conn);
                };
        }));
}

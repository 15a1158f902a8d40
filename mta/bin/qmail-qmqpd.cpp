// qmail-qmqpd: receives one message per connection by QMQP (cr.yp.to/proto/qmqp.html)
// and hands it to qmail-queue, for null clients (qmail-qmqpc) that send all their mail
// here. It relays anywhere, so only trusted clients may reach it (qmail-qmqpd(8)).
#include "qm/qmtp/server.hpp"
#include "qm/qmtp/session.hpp"

#include <boost/program_options.hpp>

#include <signal.h>

#include <cstdio>
#include <memory>

namespace {

constexpr const char* usage =
    "usage: qmail-qmqpd [--listen ADDRESS:PORT ...] [--max-connections N]\n"
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
    "daemon: one process, at most --max-connections (default 100) sessions at once.\n"
    "SIGTERM or SIGINT stops accepting and waits for open sessions; a second signal ends them.";

} // namespace

int main(int argc, char** argv) {
    namespace po = boost::program_options;
    qm::qmtp::DaemonOptions daemon;
    po::options_description opts;
    auto add = opts.add_options();
    add("help,h", "");
    add("listen", po::value(&daemon.listen)->composing(), "");
    add("max-connections", po::value(&daemon.max_connections), "");
    add("rules", po::value(&daemon.rules), "");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::fprintf(stderr, "qmail-qmqpd: usage: %s (see --help)\n", e.what());
        return 100;
    }
    if (vm.count("help") != 0) {
        std::puts(usage);
        return 0;
    }
    ::signal(SIGPIPE, SIG_IGN);
    try {
        if (!daemon.listen.empty()) {
            auto served = qm::qmtp::run_daemon(daemon, [](const qm::smtp::Connection& conn) {
                return std::make_unique<qm::qmtp::QmqpSession>(conn);
            });
            if (!served) {
                std::fprintf(stderr, "qmail-qmqpd: fatal: %s\n", served.error().text.c_str());
                return qm::exit_code(served.error());
            }
            return 0;
        }
        qm::qmtp::QmqpSession session(qm::smtp::connection_from_environment());
        return qm::qmtp::serve_stdio(session, daemon.timeout_seconds);
    } catch (const std::bad_alloc&) {
        std::fputs("qmail-qmqpd: fatal: out of memory\n", stderr);
        return 111;
    }
}

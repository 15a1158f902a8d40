// qmail-qmtpd: receives mail by QMTP (cr.yp.to/proto/qmtp.txt) and hands each message to
// qmail-queue: on stdin/stdout as under tcpserver or inetd (qmail-qmtpd(8)), or, with
// --listen, as a daemon holding every connection in one event loop.
#include "qm/qmtp/server.hpp"
#include "qm/qmtp/session.hpp"

#include <boost/program_options.hpp>

#include <signal.h>

#include <cstdio>
#include <memory>

namespace {

constexpr const char* usage =
    "usage: qmail-qmtpd [--listen ADDRESS:PORT ...] [--max-connections N]\n"
    "       [--rules RULES.cdb]  (tcprules cdb per connection: deny, RELAYCLIENT, ...)\n"
    "Without --listen, speaks QMTP (port 209) on stdin and stdout, as under tcpserver or\n"
    "inetd: any number of messages per connection, each answered once per recipient with\n"
    "K (queued by qmail-queue), Z (temporary failure) or D (permanent failure).\n"
    "Controls in $QMAILHOME/control (default /var/qmail): me, rcpthosts, morercpthosts.cdb,\n"
    "databytes; without rcpthosts only the domains delivered here are accepted.\n"
    "Environment: TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO, TCPLOCALIP, TCPLOCALHOST,\n"
    "RELAYCLIENT (relaying allowed; appended to each recipient), DATABYTES.\n"
    "Broken framing is logged and ends the connection (exit 100); nothing of that message\n"
    "is queued. A session lasts at most an hour.\n"
    "With --listen (repeatable; 127.0.0.1:209, [::1]:209, :209 for every address) it is a\n"
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
        std::fprintf(stderr, "qmail-qmtpd: usage: %s (see --help)\n", e.what());
        return 100;
    }
    if (vm.count("help") != 0) {
        std::puts(usage);
        return 0;
    }
    ::signal(SIGPIPE, SIG_IGN);
    try {
        auto controls = qm::smtp::load_controls();
        if (!controls) {
            std::fprintf(stderr, "qmail-qmtpd: fatal: unable to read controls: %s\n",
                         controls.error().text.c_str());
            return 111;
        }
        auto shared = std::make_shared<const qm::smtp::Controls>(std::move(*controls));
        if (!daemon.listen.empty()) {
            auto served = qm::qmtp::run_daemon(daemon, [&](const qm::smtp::Connection& conn) {
                return std::make_unique<qm::qmtp::QmtpSession>(shared, conn);
            });
            if (!served) {
                std::fprintf(stderr, "qmail-qmtpd: fatal: %s\n", served.error().text.c_str());
                return qm::exit_code(served.error());
            }
            return 0;
        }
        qm::qmtp::QmtpSession session(shared, qm::smtp::connection_from_environment());
        return qm::qmtp::serve_stdio(session, daemon.timeout_seconds);
    } catch (const std::bad_alloc&) {
        std::fputs("qmail-qmtpd: fatal: out of memory\n", stderr);
        return 111;
    }
}

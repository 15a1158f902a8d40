// qmail-smtpd: receives mail by SMTP and hands each message to qmail-queue: on
// stdin/stdout as under tcpserver or inetd (qmail-smtpd(8)), or, with --listen, as a
// daemon holding every session in one event loop.
#include "qm/control.hpp"
#include "qm/fd.hpp"
#include "qm/log.hpp"
#include "qm/smtp/daemon.hpp"
#include "qm/smtp/daemon_core.hpp"
#include "qm/smtp/descriptors.hpp"
#include "qm/smtp/session.hpp"
#include "qm/smtp/tls.hpp"

#include <boost/program_options.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace {

constexpr const char* usage =
    "usage: qmail-smtpd [--listen ADDRESS:PORT ...] [--submission ADDRESS:PORT ...]\n"
    "                   [--checkpassword PROGRAM [ARG ...]] [--certificate PEM]\n"
    "                   [--rules RULES.cdb] [--max-connections N] [--qmail-queue]\n"
    "                   [--max-per-ip N] [--user NAME]\n"
    "Without --listen, speaks SMTP (RFC 5321: PIPELINING, 8BITMIME, SIZE,\n"
    "ENHANCEDSTATUSCODES, STARTTLS) on stdin and stdout, as under tcpserver or inetd, and\n"
    "queues each message with qmail-queue.\n"
    "Controls in $QMAILHOME/control (default /var/qmail): me, smtpgreeting, rcpthosts,\n"
    "morercpthosts.cdb, badmailfrom, databytes, maxrcpt (recipients per message, default\n"
    "1000, at least 100; more get 452), maxrcptsession (per connection, default 100000),\n"
    "timeoutsmtpd (a deadline per command and per write), greetdelay (seconds to hold the\n"
    "greeting back; a client that talks first gets 554), localiphost. Without rcpthosts only the "
    "recipients qmail-send\n"
    "delivers here (locals, virtualdomains, percenthack) are accepted. A percenthack\n"
    "domain in rcpthosts relays, as in qmail.\n"
    "Environment: TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO, TCPLOCALIP, TCPLOCALHOST,\n"
    "RELAYCLIENT (relaying allowed; appended to each recipient), DATABYTES, MAXRCPT,\n"
    "MAXRCPTSESSION, GREETDELAY.\n"
    "Bare LF in DATA is refused with 451 and the connection is closed; a bare CR in the\n"
    "header is stored as a space (in the body as it is).\n"
    "With --listen (repeatable; 127.0.0.1:2525, [::1]:2525, :25 for every address) it is a\n"
    "daemon: one process, every session in one event loop, at most --max-connections\n"
    "(default 100) at once, more are told 421; at most --max-per-ip (default half of\n"
    "--max-connections; a rule's MAXCONNIP=N overrides it) from one address (IPv6: one\n"
    "/64), more are told \"421 4.7.0 too many connections from your address\".\n"
    "Started as root, the daemon reads the certificate, binds, then becomes --user (default\n"
    "qmaild, with its passwd group, no capabilities) before reading a byte, and queues\n"
    "through the setuid qmail-queue. Without --listen it refuses to run as root (exit 111):\n"
    "use tcpserver -u and -g. SIGTERM or SIGINT stops accepting and\n"
    "waits for open sessions; a second signal ends them.\n"
    "STARTTLS is offered, on stdin/stdout as in the daemon, when control/servercert.pem\n"
    "(or --certificate: certificate chain and private key in one PEM file) exists; a file\n"
    "that is there but unusable is a fatal error. --submission listeners (port 587 style)\n"
    "require AUTH PLAIN or LOGIN, offered only after STARTTLS and checked by the\n"
    "checkpassword-interface PROGRAM (user NUL password NUL timestamp NUL on fd 3; exit 0\n"
    "means right); an authenticated client may send to any domain.\n"
    "--rules: a tcprules cdb read for every connection: deny closes it; settings such as\n"
    "RELAYCLIENT=\"\", DATABYTES or QMAILQUEUE apply to it.\n"
    "A daemon that owns the queue (normal-user mode, no QMAILQUEUE) writes it itself with\n"
    "qmail-queue's file sequence and fsyncs; --qmail-queue runs qmail-queue per message.";

} // namespace

int main(int argc, char** argv) {
    namespace po = boost::program_options;
    qm::smtp::DaemonOptions daemon;
    po::options_description opts;
    auto add = opts.add_options();
    add("help,h", "");
    add("listen", po::value(&daemon.listen)->composing(), "");
    add("submission", po::value(&daemon.submission)->composing(), "");
    add("checkpassword", po::value(&daemon.checkpassword)->multitoken(), "");
    add("certificate", po::value(&daemon.certificate), "");
    add("rules", po::value(&daemon.rules), "");
    add("qmail-queue", "");
    add("max-connections", po::value(&daemon.max_connections), "");
    add("max-per-ip", po::value(&daemon.max_per_ip), "");
    add("user", po::value(&daemon.user), "");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::fprintf(stderr, "qmail-smtpd: usage: %s (see --help)\n", e.what());
        return 100;
    }
    if (vm.count("help") != 0) {
        std::puts(usage);
        return 0;
    }
    ::signal(SIGPIPE, SIG_IGN);
    const bool listening = !daemon.listen.empty() || !daemon.submission.empty();
    // On stdin nothing drops root for us: tcpserver -u/-g (or inetd's user field) must.
    if (!listening && qm::smtp::running_as_root()) {
        (void)qm::write_all(STDOUT_FILENO, "421 4.3.0 service unavailable\r\n");
        std::fputs("qmail-smtpd: fatal: refusing to read the network as root; run it under "
                   "tcpserver -u UID -g GID (or use --listen, which drops to qmaild)\n",
                   stderr);
        return 111;
    }
    try {
        auto controls = qm::smtp::load_controls();
        if (!controls) {
            std::string msg =
                "421 4.3.0 unable to read controls: " + controls.error().text + "\r\n";
            (void)qm::write_all(STDOUT_FILENO, msg);
            std::fprintf(stderr, "qmail-smtpd: fatal: %s\n", controls.error().text.c_str());
            return 1;
        }
        daemon.queue_in_process = vm.count("qmail-queue") == 0;
        if (listening) {
            // Once per daemon start; under tcpserver it would be once per connection, so
            // there the man page's warning has to do.
            for (const auto& domain : controls->relaying_percenthack)
                qm::log::warning("percenthack domain " + qm::log::safe_text(domain) +
                                 " is also in rcpthosts: user%elsewhere@" +
                                 qm::log::safe_text(domain) +
                                 " is accepted and relayed to elsewhere, as in qmail");
            auto shared = std::make_shared<const qm::smtp::Controls>(std::move(*controls));
            if (auto served = qm::smtp::run_daemon(daemon, shared); !served) {
                std::fprintf(stderr, "qmail-smtpd: fatal: %s\n", served.error().text.c_str());
                return qm::exit_code(served.error());
            }
            return 0;
        }
        auto tls = qm::smtp::load_server_tls(
            daemon.certificate.empty() ? qm::control::path("servercert.pem") : daemon.certificate);
        if (!tls) {
            (void)qm::write_all(STDOUT_FILENO, "421 4.3.0 " + tls.error().text + "\r\n");
            std::fprintf(stderr, "qmail-smtpd: fatal: %s\n", tls.error().text.c_str());
            return 1;
        }
        qm::smtp::Features features;
        features.tls_available = *tls != nullptr;
        qm::smtp::Session session(std::make_shared<const qm::smtp::Controls>(std::move(*controls)),
                                  qm::smtp::connection_from_environment(), std::move(features));
        qm::smtp::serve_descriptors(session, STDIN_FILENO, STDOUT_FILENO, tls->get());
        return 0;
    } catch (const std::bad_alloc&) {
        (void)qm::write_all(STDOUT_FILENO, "421 4.3.0 out of memory\r\n");
        return 1;
    }
}

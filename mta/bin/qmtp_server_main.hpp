// The main shared by qmail-qmtpd and qmail-qmqpd: options, then either one session on
// stdin/stdout (tcpserver, inetd) or the --listen daemon. Each program supplies its usage
// text and how to make a session for a connection.
#pragma once

#include "qm/qmtp/server.hpp"
#include "qm/smtp/daemon_core.hpp"

#include <boost/program_options.hpp>

#include <signal.h>

#include <cstdio>
#include <functional>
#include <new>

namespace qm::qmtp {

// prepare() runs once, after the options (it may read controls); its factory makes the
// session for each connection.
inline int server_main(int argc, char** argv, const char* name, const char* usage,
                       const std::function<Result<SessionFactory>()>& prepare) {
    namespace po = boost::program_options;
    DaemonOptions daemon;
    po::options_description opts;
    auto add = opts.add_options();
    add("help,h", "");
    add("listen", po::value(&daemon.listen)->composing(), "");
    add("max-connections", po::value(&daemon.max_connections), "");
    add("rules", po::value(&daemon.rules), "");
    add("max-per-ip", po::value(&daemon.max_per_ip), "");
    add("user", po::value(&daemon.user), "");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::fprintf(stderr, "%s: usage: %s (see --help)\n", name, e.what());
        return 100;
    }
    if (vm.count("help") != 0) {
        std::puts(usage);
        return 0;
    }
    ::signal(SIGPIPE, SIG_IGN);
    // On stdin nothing drops root for us: tcpserver -u/-g (or inetd's user field) must.
    if (daemon.listen.empty() && smtp::running_as_root()) {
        std::fprintf(stderr,
                     "%s: fatal: refusing to read the network as root; run it under "
                     "tcpserver -u UID -g GID (or use --listen, which drops to qmaild)\n",
                     name);
        return 111;
    }
    try {
        auto make_session = prepare();
        if (!make_session) {
            std::fprintf(stderr, "%s: fatal: %s\n", name, make_session.error().text.c_str());
            return exit_code(make_session.error());
        }
        if (!daemon.listen.empty()) {
            if (auto served = run_daemon(daemon, *make_session); !served) {
                std::fprintf(stderr, "%s: fatal: %s\n", name, served.error().text.c_str());
                return exit_code(served.error());
            }
            return 0;
        }
        auto session = (*make_session)(smtp::connection_from_environment());
        return serve_stdio(*session, daemon.timeout_seconds);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "%s: fatal: out of memory\n", name);
        return 111;
    }
}

} // namespace qm::qmtp

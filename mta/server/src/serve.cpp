#include "qm/server/serve.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"
#include "qm/server/listener.hpp"
#include "qm/server/tcprules.hpp"

#include <boost/asio.hpp>
#include <boost/program_options.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <new>

namespace qm::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The connection policy, the same for every protocol: the client's tcprules entry (deny,
// settings, MAXCONNIP), then its address's limit; then the door's session, and the
// daemon closes the connection whatever the session did.
asio::awaitable<void> serve_client(DaemonCore& core, tcp::socket sock, const std::string& rules,
                                   const Refusals& refusals, const Door& door) {
    boost::system::error_code ec;
    Connection conn = connection_of(sock);
    const std::string who = endpoint_text(sock.remote_endpoint(ec));
    unsigned per_ip_limit = 0;
    if (!rules.empty()) {
        auto decision = consult_rules(rules, conn.remote_ip);
        if (!decision) {
            // An unreadable table must not mean "allow everyone": try later.
            log::warning("unable to read " + rules + ": " + decision.error().text);
            if (const auto& text = refusals.rules_unreadable; !text.empty())
                co_await asio::async_write(sock, asio::buffer(text), use_tuple);
            core.finish(sock);
            co_return;
        }
        if (*decision && (*decision)->deny) {
            log::line("deny " + who);
            core.finish(sock);
            co_return;
        }
        if (*decision) {
            conn.env = std::move((*decision)->env);
            per_ip_limit = rule_per_ip_limit(conn.env);
        }
    }
    auto slot = core.admit(conn.remote_ip, per_ip_limit);
    if (!slot) {
        log::line("too many connections from " + who);
        if (const auto& text = refusals.per_ip; !text.empty())
            co_await asio::async_write(sock, asio::buffer(text), use_tuple);
        core.finish(sock);
        co_return;
    }
    log::line("ok " + who);
    // Listed, so that a second signal ends the session at once.
    auto listed = core.sockets.insert(core.sockets.end(), &sock);
    // Made before it is awaited: no temporary of this statement lives across a suspension.
    auto session = door.serve(Client{sock, std::move(conn), who});
    const bool served = co_await std::move(session);
    core.sockets.erase(listed);
    if (served)
        log::line("end " + who);
    core.finish(sock);
}

Status run_daemon(const Service& service, const Options& options) {
    DaemonCore core(options.blocking_threads, options.max_connections, options.max_per_ip);
    auto doors = service.doors(core, options);
    if (!doors)
        return fail(doors.error());
    const Refusals& refusals = service.refusals;
    auto refuse = [&refusals](tcp::socket& sock) {
        if (refusals.busy.empty()) {
            log::line("status: too many connections, one closed");
            return;
        }
        boost::system::error_code ignored;
        asio::write(sock, asio::buffer(refusals.busy), ignored);
    };
    for (const Door& door : *doors) {
        auto start = [&core, &options, &refusals, &door](tcp::socket sock) {
            asio::co_spawn(core.io,
                           serve_client(core, std::move(sock), options.rules, refusals, door),
                           asio::detached);
        };
        for (const auto& spec : door.listen) {
            if (is_inherited_spec(spec)) {
                auto fds = inherited_listeners(spec);
                if (!fds)
                    return fail(fds.error());
                for (const int fd : *fds) {
                    tcp::acceptor& a = core.acceptors.emplace_back(core.io);
                    if (auto ok = adopt_listener(a, fd); !ok)
                        return ok;
                    log::line("status: listening on " + endpoint_text(a.local_endpoint()) +
                              door.note + " (from systemd)");
                    asio::co_spawn(core.io, core.accept_loop(a, refuse, start), asio::detached);
                }
                continue;
            }
            tcp::acceptor& a = core.acceptors.emplace_back(core.io);
            if (auto ok = open_listener(a, spec); !ok)
                return ok;
            log::line("status: listening on " + endpoint_text(a.local_endpoint()) + door.note);
            asio::co_spawn(core.io, core.accept_loop(a, refuse, start), asio::detached);
        }
    }
    // Everything that needs root (the TLS key, the privileged ports) is done.
    if (service.keeps_root) {
        if (running_as_root())
            log::line("status: keeping root: each session is a process that drops it");
    } else if (auto dropped = drop_root(options.user); !dropped) {
        return dropped;
    }
    core.run();
    return {};
}

void fatal(const Service& service, std::string_view text) {
    std::fprintf(stderr, "%s: fatal: %.*s\n", service.name.c_str(), static_cast<int>(text.size()),
                 text.data());
}

// The program cannot serve at all: a client on stdin/stdout is told so, the log too.
int unavailable(const Service& service, std::string_view text) {
    if (service.unavailable_reply)
        (void)write_all(STDOUT_FILENO, service.unavailable_reply(text));
    fatal(service, text);
    return service.unavailable_exit;
}

} // namespace

int serve_main(int argc, char** argv, const Service& service) {
    namespace po = boost::program_options;
    Options options = service.defaults;
    po::options_description opts;
    auto add = opts.add_options();
    add("help,h", "");
    add("listen", po::value(&options.listen)->composing(), "");
    add("rules", po::value(&options.rules), "");
    add("max-connections", po::value(&options.max_connections), "");
    add("max-per-ip", po::value(&options.max_per_ip), "");
    add("user", po::value(&options.user), "");
    opts.add(service.options);
    po::variables_map vm;
    try {
        po::positional_options_description positional;
        if (!service.positional.empty())
            positional.add(service.positional.c_str(), -1);
        po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::fprintf(stderr, "%s: usage: %s (see --help)\n", service.name.c_str(), e.what());
        return 100;
    }
    if (vm.count("help") != 0) {
        std::puts(service.usage.c_str());
        return 0;
    }
    ::signal(SIGPIPE, SIG_IGN);
    const bool listening =
        !options.listen.empty() || (service.more_listeners && service.more_listeners());
    // On stdin nothing drops root for us: tcpserver -u/-g (or inetd's user field) must.
    if (!listening && running_as_root() && !service.keeps_root) {
        if (service.unavailable_reply)
            (void)write_all(STDOUT_FILENO, service.unavailable_reply("service unavailable"));
        fatal(service, "refusing to read the network as root; run it under tcpserver -u UID -g "
                       "GID (or use --listen, which drops to qmaild)");
        return 111;
    }
    try {
        if (service.prepare)
            if (auto ready = service.prepare(); !ready)
                return unavailable(service, ready.error().text);
        if (listening) {
            if (auto served = run_daemon(service, options); !served) {
                fatal(service, served.error().text);
                return exit_code(served.error());
            }
            return 0;
        }
        auto status = service.serve_stdio(connection_from_environment());
        if (!status)
            return unavailable(service, status.error().text);
        return *status;
    } catch (const std::bad_alloc&) {
        return unavailable(service, "out of memory");
    }
}

} // namespace qm::server

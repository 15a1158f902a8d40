#include "qm/qmtp/server.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"
#include "qm/smtp/daemon_core.hpp"
#include "qm/smtp/listener.hpp"
#include "qm/smtp/tcprules.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <list>

namespace qm::qmtp {

namespace {

// The replies go out by the session's deadline too: a client that never reads them
// cannot hold the session past qmail's one-hour alarm.
bool flush(std::string& out, std::chrono::steady_clock::time_point deadline) {
    if (out.empty())
        return true;
    auto sent = write_all_by(STDOUT_FILENO, out, deadline);
    out.clear();
    if (!sent && sent.error().text == write_timeout_text)
        log::line(std::string(write_timeout_text));
    return sent.has_value();
}

} // namespace

int serve_stdio(ServerSession& session, int timeout_seconds) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::seconds(timeout_seconds);
    char buf[65536];
    for (;;) {
        if (!flush(session.output(), deadline) || session.closed()) {
            const bool broken = session.protocol_error();
            session.abort();
            return broken ? 100 : 0;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        pollfd p{STDIN_FILENO, POLLIN, 0};
        const int ready = left.count() <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            session.abort(); // qmail's alarm: unanswered messages are temporary failures
            return 111;
        }
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            session.abort(); // the client went away: nothing half-received is queued
            return 0;
        }
        auto step = session.receive(std::string_view(buf, static_cast<size_t>(n)));
        while (step == ServerSession::Step::commit) {
            session.commit();
            step = session.receive({});
        }
    }
}

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

using smtp::use_tuple;

// What the session timer may touch: it can fire after the session's frame is gone.
struct Live {
    explicit Live(tcp::socket s)
        : sock(std::move(s)) {}
    tcp::socket sock;
    bool timed_out = false;
};

struct Server : smtp::DaemonCore {
    const SessionFactory& make_session;
    int timeout_seconds;
    std::string rules_path;

    Server(const SessionFactory& f, const DaemonOptions& o)
        : DaemonCore(o.queue_threads, o.max_connections, o.max_per_ip)
        , make_session(f)
        , timeout_seconds(o.timeout_seconds)
        , rules_path(o.rules) {}

    asio::awaitable<void> session(tcp::socket sock) {
        boost::system::error_code ec;
        smtp::Connection conn = smtp::connection_of(sock);
        const std::string who = smtp::endpoint_text(sock.remote_endpoint(ec));
        unsigned per_ip_limit = 0;
        if (!rules_path.empty()) {
            auto decision = smtp::consult_rules(rules_path, conn.remote_ip);
            if (!decision || (*decision && (*decision)->deny)) {
                if (!decision)
                    log::warning("unable to read " + rules_path + ": " + decision.error().text);
                else
                    log::line("deny " + who);
                finish(sock);
                co_return;
            }
            if (*decision) {
                smtp::apply_settings(conn, (*decision)->env);
                per_ip_limit = smtp::rule_per_ip_limit((*decision)->env);
            }
        }
        // Closed unanswered, as over the overall limit: the client retries later.
        auto slot = admit(conn.remote_ip, per_ip_limit);
        if (!slot) {
            log::line("too many connections from " + who);
            finish(sock);
            co_return;
        }
        log::line("ok " + who);
        auto live = std::make_shared<Live>(std::move(sock));
        auto it = sockets.insert(sockets.end(), &live->sock);
        std::unique_ptr<ServerSession> s = make_session(conn);

        asio::steady_timer timer(io);
        timer.expires_after(std::chrono::seconds(timeout_seconds));
        timer.async_wait([weak = std::weak_ptr<Live>(live)](boost::system::error_code tec) {
            auto l = weak.lock();
            if (!tec && l) {
                l->timed_out = true;
                boost::system::error_code ignored;
                l->sock.cancel(ignored);
            }
        });
        std::string buf(65536, '\0');
        std::string out;
        for (;;) {
            out.swap(s->output());
            s->output().clear();
            if (!out.empty()) {
                auto [wec, n] =
                    co_await asio::async_write(live->sock, asio::buffer(out), use_tuple);
                out.clear();
                if (wec) {
                    s->abort();
                    break;
                }
            }
            if (s->closed() || live->timed_out) {
                s->abort();
                break;
            }
            auto [rec, n] = co_await live->sock.async_read_some(asio::buffer(buf), use_tuple);
            if (rec || live->timed_out) {
                s->abort(); // gone or too slow: nothing half-received is queued
                break;
            }
            auto step = s->receive(std::string_view(buf.data(), n));
            while (step == ServerSession::Step::commit) {
                // qmail-queue's fsyncs happen off the loop; this session waits, others run.
                co_await off_loop([&s] { s->commit(); });
                step = s->receive({});
            }
        }
        timer.cancel();
        sockets.erase(it);
        log::line("end " + who);
        finish(live->sock);
    }
};

} // namespace

Status run_daemon(const DaemonOptions& options, const SessionFactory& make_session) {
    Server server(make_session, options);
    for (const auto& spec : options.listen) {
        tcp::acceptor& a = server.acceptors.emplace_back(server.io);
        if (auto ok = smtp::open_listener(a, spec); !ok)
            return ok;
        log::line("status: listening on " + smtp::endpoint_text(a.local_endpoint()));
    }
    // Unanswered messages are temporary failures: a client turned away comes back.
    auto refuse = [](tcp::socket&) { log::line("status: too many connections, one closed"); };
    auto start = [&server](tcp::socket sock) {
        asio::co_spawn(server.io, server.session(std::move(sock)), asio::detached);
    };
    for (auto& a : server.acceptors)
        asio::co_spawn(server.io, server.accept_loop(a, refuse, start), asio::detached);
    if (auto dropped = smtp::drop_root(options.user); !dropped)
        return dropped;
    server.run();
    return {};
}

} // namespace qm::qmtp

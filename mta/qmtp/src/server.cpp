#include "qm/qmtp/server.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"
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

bool flush(std::string& out) {
    if (out.empty())
        return true;
    const bool ok = write_all(STDOUT_FILENO, out).has_value();
    out.clear();
    return ok;
}

} // namespace

int serve_stdio(ServerSession& session, int timeout_seconds) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::seconds(timeout_seconds);
    char buf[65536];
    for (;;) {
        if (!flush(session.output()) || session.closed()) {
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

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// What the session timer may touch: it can fire after the session's frame is gone.
struct Live {
    explicit Live(tcp::socket s)
        : sock(std::move(s)) {}
    tcp::socket sock;
    bool timed_out = false;
};

struct Server {
    asio::io_context io;
    asio::thread_pool queue_pool;
    const SessionFactory& make_session;
    unsigned max_connections;
    int timeout_seconds;
    unsigned active = 0;
    std::list<tcp::acceptor> acceptors;
    std::list<std::weak_ptr<Live>> sessions; // to end them on a second signal
    bool stopping = false;
    std::string rules_path;
    asio::signal_set* signals = nullptr;

    Server(const SessionFactory& f, const DaemonOptions& o)
        : queue_pool(o.queue_threads)
        , make_session(f)
        , max_connections(o.max_connections)
        , timeout_seconds(o.timeout_seconds)
        , rules_path(o.rules) {}

    void status() const {
        log::line("status: " + std::to_string(active) + "/" + std::to_string(max_connections));
    }

    asio::awaitable<void> session(tcp::socket sock) {
        boost::system::error_code ec;
        const auto remote = sock.remote_endpoint(ec);
        const auto local = sock.local_endpoint(ec);
        smtp::Connection conn;
        conn.remote_ip = remote.address().to_string();
        conn.local_ip = local.address().to_string();
        conn.local_host = conn.local_ip;
        const std::string who = smtp::endpoint_text(remote);
        if (!rules_path.empty()) {
            auto decision = smtp::consult_rules(rules_path, conn.remote_ip);
            if (!decision || (*decision && (*decision)->deny)) {
                if (!decision)
                    log::warning("unable to read " + rules_path + ": " + decision.error().text);
                else
                    log::line("deny " + who);
                sock.shutdown(tcp::socket::shutdown_both, ec);
                sock.close(ec);
                --active;
                status();
                if (stopping && active == 0 && signals != nullptr)
                    signals->cancel();
                co_return;
            }
            if (*decision)
                smtp::apply_settings(conn, (*decision)->env);
        }
        log::line("ok " + who);
        auto live = std::make_shared<Live>(std::move(sock));
        auto it = sessions.insert(sessions.end(), live);
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
                co_await asio::co_spawn(
                    queue_pool,
                    [&s]() -> asio::awaitable<void> {
                        s->commit();
                        co_return;
                    },
                    asio::use_awaitable);
                step = s->receive({});
            }
        }
        timer.cancel();
        sessions.erase(it);
        live->sock.shutdown(tcp::socket::shutdown_both, ec);
        live->sock.close(ec);
        log::line("end " + who);
        --active;
        status();
        if (stopping && active == 0 && signals != nullptr)
            signals->cancel(); // the last session after SIGTERM: let the loop end
    }

    asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(use_tuple);
            if (ec) {
                if (stopping || ec == asio::error::operation_aborted)
                    co_return;
                log::warning("accept failed: " + ec.message());
                continue;
            }
            if (active >= max_connections) {
                // Unanswered messages are temporary failures: the client comes back.
                log::line("status: too many connections, one closed");
                boost::system::error_code ignored;
                sock.close(ignored);
                continue;
            }
            ++active;
            status();
            asio::co_spawn(io, session(std::move(sock)), asio::detached);
        }
    }

    void stop() {
        if (stopping) {
            for (auto& weak : sessions) {
                if (auto l = weak.lock()) {
                    boost::system::error_code ignored;
                    l->sock.cancel(ignored);
                    l->sock.close(ignored);
                }
            }
            return;
        }
        stopping = true;
        log::line("status: exiting: no new connections; waiting for open sessions");
        for (auto& a : acceptors) {
            boost::system::error_code ignored;
            a.close(ignored);
        }
    }
};

asio::awaitable<void> handle_signals(Server& server, asio::signal_set& signals) {
    for (;;) {
        auto [ec, sig] = co_await signals.async_wait(use_tuple);
        if (ec)
            co_return;
        server.stop();
        if (server.active == 0) {
            signals.cancel();
            co_return;
        }
    }
}

} // namespace

Status run_daemon(const DaemonOptions& options, const SessionFactory& make_session) {
    Server server(make_session, options);
    for (const auto& spec : options.listen) {
        tcp::acceptor& a = server.acceptors.emplace_back(server.io);
        if (auto ok = smtp::open_listener(a, spec); !ok)
            return ok;
        log::line("status: listening on " + smtp::endpoint_text(a.local_endpoint()));
    }
    asio::signal_set signals(server.io, SIGTERM, SIGINT);
    server.signals = &signals;
    asio::co_spawn(server.io, handle_signals(server, signals), asio::detached);
    for (auto& a : server.acceptors)
        asio::co_spawn(server.io, server.accept_loop(a), asio::detached);
    server.io.run();
    server.queue_pool.join();
    return {};
}

} // namespace qm::qmtp

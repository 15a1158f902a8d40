#include "qm/smtp/daemon.hpp"

#include "qm/control.hpp"
#include "qm/log.hpp"
#include "qm/smtp/daemon_core.hpp"
#include "qm/smtp/listener.hpp"
#include "qm/smtp/session.hpp"
#include "qm/smtp/tcprules.hpp"
#include "qm/smtp/tls.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <list>
#include <string_view>

namespace qm::smtp {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr size_t small_read_buffer = 2048;
constexpr size_t large_read_buffer = 65536;
// During DATA no reply comes until the end: this many bytes count as progress, so a big
// message may take as long as it needs at any rate above progress_bytes per timeout.
constexpr size_t progress_bytes = 65536;

struct Server : DaemonCore {
    std::shared_ptr<const Controls> controls;
    std::unique_ptr<asio::ssl::context> tls_context; // when a certificate is configured
    std::string rules_path;

    Server(std::shared_ptr<const Controls> c, const DaemonOptions& o)
        : DaemonCore(o.queue_threads, o.max_connections, o.max_per_ip)
        , controls(std::move(c)) {}

    // Moves bytes between the client and the session until the session ends (false) or
    // asks for STARTTLS (true). Stream is the plain socket or the TLS stream over it.
    template <class Stream>
    asio::awaitable<bool> pump(Stream& stream, tcp::socket& sock, Session& s, std::string& out) {
        asio::steady_timer timer(io);
        // Small while the client only talks commands (an idle session costs little), large
        // once a read fills it (DATA): 10,000 idle sessions must not hold 64 KiB each.
        std::string buf(small_read_buffer, '\0');
        const auto timeout = std::chrono::seconds(s.timeout_seconds());
        // The read deadline moves only when the client makes progress: a reply was earned
        // (a whole command, or the end of DATA) or a DATA-sized stretch of bytes arrived.
        // A byte now and then does not move it, so dribbling cannot hold a session.
        std::chrono::steady_clock::time_point deadline;
        size_t bytes_since_progress = 0;
        auto progress = [&] {
            deadline = std::chrono::steady_clock::now() + timeout;
            bytes_since_progress = 0;
        };
        progress();
        bool timed_out = false;
        auto arm = [&](std::chrono::steady_clock::time_point when) {
            timed_out = false;
            timer.expires_at(when);
            timer.async_wait([&](boost::system::error_code tec) {
                if (!tec) {
                    timed_out = true;
                    sock.cancel();
                }
            });
        };
        for (;;) {
            out += s.output();
            s.output().clear();
            if (!out.empty()) {
                // A client that never reads its replies is dropped after one timeout.
                arm(std::chrono::steady_clock::now() + timeout);
                auto [wec, n] = co_await asio::async_write(stream, asio::buffer(out), use_tuple);
                timer.cancel();
                out.clear();
                if (wec || timed_out) {
                    if (timed_out) {
                        boost::system::error_code ec;
                        log::line("write timeout " + endpoint_text(sock.remote_endpoint(ec)));
                    }
                    s.abort();
                    co_return false;
                }
                progress();
            }
            if (s.closed())
                co_return false;
            arm(deadline);
            auto [rec, n] = co_await stream.async_read_some(asio::buffer(buf), use_tuple);
            timer.cancel();
            bytes_since_progress += n;
            if (bytes_since_progress >= progress_bytes)
                progress();
            if (timed_out) {
                // The goodbye is bounded too: a client that stopped reading gets none.
                arm(std::chrono::steady_clock::now() + timeout);
                co_await asio::async_write(stream, asio::buffer(Session::timeout_reply()),
                                           use_tuple);
                timer.cancel();
                s.abort();
                co_return false;
            }
            if (rec) {
                s.abort(); // the client went away: nothing half-received is queued
                co_return false;
            }
            const bool filled = n == buf.size();
            auto step = s.receive(std::string_view(buf.data(), n));
            if (filled && buf.size() < large_read_buffer)
                buf.resize(large_read_buffer);
            while (step == Session::Step::blocking) {
                // qmail-queue's fsyncs and checkpassword run off the loop; others go on.
                co_await off_loop([&s] { s.run_blocking(); });
                step = s.receive({});
            }
            if (step == Session::Step::starttls) {
                out += s.output();
                s.output().clear();
                auto [wec, written] =
                    co_await asio::async_write(stream, asio::buffer(out), use_tuple);
                out.clear();
                co_return !wec;
            }
        }
    }

    // Whether the client sends anything (or leaves) within delay, before any greeting.
    // Both waits are one operation: the one that loses is cancelled and completes before
    // this returns, so nothing fires later into a finished session.
    asio::awaitable<bool> talks_within(tcp::socket& sock, std::chrono::seconds delay) {
        using namespace asio::experimental::awaitable_operators;
        asio::steady_timer timer(io);
        timer.expires_after(delay);
        auto first = co_await (sock.async_wait(tcp::socket::wait_read, use_tuple) ||
                               timer.async_wait(use_tuple));
        co_return first.index() == 0;
    }

    asio::awaitable<void> session(tcp::socket sock, Features features) {
        boost::system::error_code ec;
        Connection conn = connection_of(sock);
        const std::string who = endpoint_text(sock.remote_endpoint(ec));
        unsigned per_ip_limit = 0;
        if (!rules_path.empty()) {
            auto decision = smtp::consult_rules(rules_path, conn.remote_ip);
            if (!decision) {
                // An unreadable table must not mean "allow everyone": try later.
                log::warning("unable to read " + rules_path + ": " + decision.error().text);
                co_await asio::async_write(
                    sock, asio::buffer(std::string_view("421 4.3.0 unable to read rules\r\n")),
                    use_tuple);
                finish(sock);
                co_return;
            }
            if (*decision && (*decision)->deny) {
                log::line("deny " + who);
                finish(sock);
                co_return;
            }
            if (*decision) {
                apply_settings(conn, (*decision)->env);
                per_ip_limit = rule_per_ip_limit((*decision)->env);
            }
        }
        auto slot = admit(conn.remote_ip, per_ip_limit);
        if (!slot) {
            log::line("too many connections from " + who);
            co_await asio::async_write(sock,
                                       asio::buffer(std::string_view(
                                           "421 4.7.0 too many connections from your address\r\n")),
                                       use_tuple);
            finish(sock);
            co_return;
        }
        log::line("ok " + who);
        if (const int delay = greet_delay(*controls, conn); delay > 0) {
            if (co_await talks_within(sock, std::chrono::seconds(delay))) {
                log::line("early talker " + who);
                asio::steady_timer timer(io);
                timer.expires_after(std::chrono::seconds(controls->timeout_seconds));
                using namespace asio::experimental::awaitable_operators;
                const std::string refusal = early_talker_reply();
                (void)co_await (asio::async_write(sock, asio::buffer(refusal), use_tuple) ||
                                timer.async_wait(use_tuple));
                finish(sock);
                co_return;
            }
        }
        Session s(controls, conn, std::move(features));
        auto it = sockets.insert(sockets.end(), &sock);

        std::string out = s.greeting();
        if (co_await pump(sock, sock, s, out)) {
            asio::ssl::stream<tcp::socket&> tls(sock, *tls_context);
            asio::steady_timer timer(io);
            timer.expires_after(std::chrono::seconds(s.timeout_seconds()));
            timer.async_wait([&](boost::system::error_code tec) {
                if (!tec)
                    sock.cancel();
            });
            auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::server, use_tuple);
            timer.cancel();
            if (hec) {
                log::line("tls failed " + who + ": " + log::safe_text(hec.message()));
                s.abort();
            } else {
                s.tls_started();
                co_await pump(tls, sock, s, out);
            }
        }
        if (!s.authenticated_user().empty())
            log::line("auth " + who + " " + log::safe_text(s.authenticated_user()));
        sockets.erase(it);
        log::line("end " + who);
        finish(sock);
    }
};

Status listen_on(Server& server, const std::string& spec, Features features) {
    tcp::acceptor& a = server.acceptors.emplace_back(server.io);
    if (auto ok = open_listener(a, spec); !ok)
        return ok;
    log::line("status: listening on " + endpoint_text(a.local_endpoint()) +
              (features.submission ? " (submission)" : "") +
              (features.tls_available ? " (STARTTLS)" : ""));
    auto refuse = [](tcp::socket& sock) {
        boost::system::error_code ignored;
        asio::write(
            sock,
            asio::buffer(std::string_view("421 4.3.2 too many connections, try again later\r\n")),
            ignored);
    };
    auto start = [&server, features](tcp::socket sock) {
        asio::co_spawn(server.io, server.session(std::move(sock), features), asio::detached);
    };
    asio::co_spawn(server.io, server.accept_loop(a, refuse, start), asio::detached);
    return {};
}

} // namespace

Status run_daemon(const DaemonOptions& options, std::shared_ptr<const Controls> controls) {
    Server server(std::move(controls), options);
    auto tls = load_server_tls(options.certificate.empty() ? control::path("servercert.pem")
                                                           : options.certificate);
    if (!tls)
        return fail(tls.error());
    server.tls_context = std::move(*tls);
    server.rules_path = options.rules;
    Features plain;
    plain.tls_available = server.tls_context != nullptr;
    // Root drops to the role user below, which cannot write qmailq's queue: only the
    // setuid qmail-queue can.
    if (options.queue_in_process && !running_as_root() && can_queue_in_process()) {
        plain.sink = in_process_queue();
        log::line("status: queueing in-process (this process owns the queue)");
    } else {
        log::line("status: queueing through qmail-queue");
    }
    for (const auto& spec : options.listen)
        if (auto ok = listen_on(server, spec, plain); !ok)
            return ok;
    if (!options.submission.empty()) {
        if (!server.tls_context)
            return fail(perm("5.3.5", "a submission listener needs a TLS certificate (" +
                                          control::path("servercert.pem") + ")"));
        if (options.checkpassword.empty())
            return fail(perm("5.3.5", "a submission listener needs --checkpassword"));
        Features submission = plain;
        submission.submission = true;
        submission.checkpassword = options.checkpassword;
        for (const auto& spec : options.submission)
            if (auto ok = listen_on(server, spec, submission); !ok)
                return ok;
    }
    // Everything that needs root (the TLS key, the privileged ports) is done.
    if (auto dropped = drop_root(options.user); !dropped)
        return dropped;
    server.run();
    return {};
}

} // namespace qm::smtp

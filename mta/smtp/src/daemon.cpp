#include "qm/smtp/daemon.hpp"

#include "qm/control.hpp"
#include "qm/log.hpp"
#include "qm/server/daemon_core.hpp"
#include "qm/server/listener.hpp"
#include "qm/smtp/descriptors.hpp"
#include "qm/smtp/session.hpp"
#include "qm/smtp/tls.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/program_options.hpp>

#include <unistd.h>

#include <chrono>
#include <string_view>
#include <utility>

namespace qm::smtp {

namespace asio = boost::asio;
using asio::ip::tcp;
using server::endpoint_text;
using server::use_tuple;

namespace {

constexpr size_t small_read_buffer = 2048;
constexpr size_t large_read_buffer = 65536;
// During DATA no reply comes until the end: this many bytes count as progress, so a big
// message may take as long as it needs at any rate above progress_bytes per timeout.
constexpr size_t progress_bytes = 65536;

// The sessions of the --listen daemon, on the loop of qm::server's daemon.
struct Server {
    server::DaemonCore& core;
    std::shared_ptr<const Controls> controls;
    std::unique_ptr<asio::ssl::context> tls_context; // when a certificate is configured

    // Moves bytes between the client and the session until the session ends (false) or
    // asks for STARTTLS (true). Stream is the plain socket or the TLS stream over it.
    template <class Stream>
    asio::awaitable<bool> pump(Stream& stream, tcp::socket& sock, Session& s, std::string& out) {
        asio::steady_timer timer(core.io);
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
                co_await core.off_loop([&s] { s.run_blocking(); });
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
        asio::steady_timer timer(core.io);
        timer.expires_after(delay);
        auto first = co_await (sock.async_wait(tcp::socket::wait_read, use_tuple) ||
                               timer.async_wait(use_tuple));
        // A wait that failed is no talk: the daemon ended the session (a second signal).
        co_return first.index() == 0 && !std::get<0>(std::get<0>(first));
    }

    // An admitted client's session; false when it talked before the greeting and was
    // turned away.
    asio::awaitable<bool> session(server::Client client, Features features) {
        tcp::socket& sock = client.socket;
        const std::string& who = client.who;
        Connection conn = with_settings(std::move(client.connection));
        if (const int delay = greet_delay(*controls, conn); delay > 0) {
            if (co_await talks_within(sock, std::chrono::seconds(delay))) {
                log::line("early talker " + who);
                asio::steady_timer timer(core.io);
                timer.expires_after(std::chrono::seconds(controls->timeout_seconds));
                using namespace asio::experimental::awaitable_operators;
                const std::string refusal = early_talker_reply();
                (void)co_await (asio::async_write(sock, asio::buffer(refusal), use_tuple) ||
                                timer.async_wait(use_tuple));
                co_return false;
            }
        }
        Session s(controls, std::move(conn), std::move(features));

        std::string out = s.greeting();
        if (co_await pump(sock, sock, s, out)) {
            asio::ssl::stream<tcp::socket&> tls(sock, *tls_context);
            asio::steady_timer timer(core.io);
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
        co_return true;
    }
};

std::string certificate_path(const DaemonOptions& options) {
    return options.certificate.empty() ? control::path("servercert.pem") : options.certificate;
}

// The doors of the --listen daemon: --listen's plain SMTP and --submission's.
Result<std::vector<server::Door>> daemon_doors(server::DaemonCore& core,
                                               const std::vector<std::string>& listen,
                                               const DaemonOptions& options,
                                               std::shared_ptr<const Controls> controls) {
    // Once per daemon start; under tcpserver it would be once per connection, so there
    // the man page's warning has to do.
    for (const auto& domain : controls->relaying_percenthack)
        log::warning("percenthack domain " + log::safe_text(domain) +
                     " is also in rcpthosts: user%elsewhere@" + log::safe_text(domain) +
                     " is accepted and relayed to elsewhere, as in qmail");
    auto tls = load_server_tls(certificate_path(options));
    if (!tls)
        return fail(tls.error());
    auto daemon = std::make_shared<Server>(core, std::move(controls), std::move(*tls));
    Features plain;
    plain.tls_available = daemon->tls_context != nullptr;
    // Root drops to the role user after binding, and then cannot write qmailq's queue:
    // only the setuid qmail-queue can.
    if (!options.always_qmail_queue && !server::running_as_root() && can_queue_in_process()) {
        plain.sink = in_process_queue();
        log::line("status: queueing in-process (this process owns the queue)");
    } else {
        log::line("status: queueing through qmail-queue");
    }
    auto door = [daemon](std::vector<std::string> specs, const Features& features) {
        std::string note = std::string(features.submission ? " (submission)" : "") +
                           (features.tls_available ? " (STARTTLS)" : "");
        return server::Door{std::move(specs), std::move(note),
                            [daemon, features](server::Client client) {
                                return daemon->session(std::move(client), features);
                            }};
    };
    std::vector<server::Door> doors{door(listen, plain)};
    if (!options.submission.empty()) {
        if (!daemon->tls_context)
            return fail(perm("5.3.5", "a submission listener needs a TLS certificate (" +
                                          control::path("servercert.pem") + ")"));
        if (options.checkpassword.empty())
            return fail(perm("5.3.5", "a submission listener needs --checkpassword"));
        Features submission = plain;
        submission.submission = true;
        submission.checkpassword = options.checkpassword;
        doors.push_back(door(options.submission, submission));
    }
    return doors;
}

} // namespace

server::Service service(std::string usage) {
    namespace po = boost::program_options;
    // What the options fill and the controls read once; every mode's functions share it.
    struct State {
        DaemonOptions options;
        std::shared_ptr<const Controls> controls;
    };
    auto state = std::make_shared<State>();
    server::Service s;
    s.name = "qmail-smtpd";
    s.usage = std::move(usage);
    auto add = s.options.add_options();
    add("submission", po::value(&state->options.submission)->composing(), "");
    add("checkpassword", po::value(&state->options.checkpassword)->multitoken(), "");
    add("certificate", po::value(&state->options.certificate), "");
    add("qmail-queue", po::bool_switch(&state->options.always_qmail_queue), "");
    s.refusals.busy = "421 4.3.2 too many connections, try again later\r\n";
    s.refusals.rules_unreadable = "421 4.3.0 unable to read rules\r\n";
    s.refusals.per_ip = "421 4.7.0 too many connections from your address\r\n";
    s.unavailable_reply = [](std::string_view text) {
        return "421 4.3.0 " + std::string(text) + "\r\n";
    };
    s.unavailable_exit = 1; // qmail-smtpd's die_control()
    s.more_listeners = [state] { return !state->options.submission.empty(); };
    s.prepare = [state]() -> Status {
        auto controls = load_controls();
        if (!controls)
            return fail(temp("4.3.0", "unable to read controls: " + controls.error().text));
        state->controls = std::make_shared<const Controls>(std::move(*controls));
        return {};
    };
    s.doors = [state](server::DaemonCore& core, const server::Options& options) {
        return daemon_doors(core, options.listen, state->options, state->controls);
    };
    s.serve_stdio = [state](server::Connection peer) -> Result<int> {
        auto tls = load_server_tls(certificate_path(state->options));
        if (!tls)
            return fail(tls.error());
        Features features;
        features.tls_available = *tls != nullptr;
        Session session(state->controls, with_environment(std::move(peer)), std::move(features));
        return serve_descriptors(session, STDIN_FILENO, STDOUT_FILENO, tls->get());
    };
    return s;
}

} // namespace qm::smtp

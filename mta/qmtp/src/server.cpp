#include "qm/qmtp/server.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"
#include "qm/server/daemon_core.hpp"

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

using server::use_tuple;

// What the session timer may touch: it can fire after the session's frame is gone.
struct Deadline {
    explicit Deadline(tcp::socket& s)
        : sock(&s) {}
    tcp::socket* sock;
    bool timed_out = false;
};

// An admitted client's session in the --listen daemon.
asio::awaitable<bool> serve_client(server::DaemonCore& core, const SessionFactory& make_session,
                                   server::Client client) {
    tcp::socket& sock = client.socket;
    std::unique_ptr<ServerSession> s =
        make_session(smtp::with_settings(std::move(client.connection)));
    auto deadline = std::make_shared<Deadline>(sock);
    asio::steady_timer timer(core.io);
    timer.expires_after(std::chrono::seconds(session_timeout_seconds));
    timer.async_wait([weak = std::weak_ptr<Deadline>(deadline)](boost::system::error_code tec) {
        auto d = weak.lock();
        if (!tec && d) {
            d->timed_out = true;
            boost::system::error_code ignored;
            d->sock->cancel(ignored);
        }
    });
    std::string buf(65536, '\0');
    std::string out;
    for (;;) {
        out.swap(s->output());
        s->output().clear();
        if (!out.empty()) {
            auto [wec, n] = co_await asio::async_write(sock, asio::buffer(out), use_tuple);
            out.clear();
            if (wec) {
                s->abort();
                break;
            }
        }
        if (s->closed() || deadline->timed_out) {
            s->abort();
            break;
        }
        auto [rec, n] = co_await sock.async_read_some(asio::buffer(buf), use_tuple);
        if (rec || deadline->timed_out) {
            s->abort(); // gone or too slow: nothing half-received is queued
            break;
        }
        auto step = s->receive(std::string_view(buf.data(), n));
        while (step == ServerSession::Step::commit) {
            // qmail-queue's fsyncs happen off the loop; this session waits, others run.
            co_await core.off_loop([&s] { s->commit(); });
            step = s->receive({});
        }
    }
    timer.cancel();
    co_return true;
}

} // namespace

server::Service service(std::string name, std::string usage,
                        std::function<Result<SessionFactory>()> prepare) {
    auto make_session = std::make_shared<SessionFactory>();
    server::Service s;
    s.name = std::move(name);
    s.usage = std::move(usage);
    s.prepare = [make_session, prepare = std::move(prepare)]() -> Status {
        auto made = prepare();
        if (!made)
            return fail(made.error());
        *make_session = std::move(*made);
        return {};
    };
    s.doors = [make_session](server::DaemonCore& core,
                             const server::Options& options) -> Result<std::vector<server::Door>> {
        return std::vector<server::Door>{
            {options.listen, "", [&core, make_session](server::Client client) {
                 return serve_client(core, *make_session, std::move(client));
             }}};
    };
    s.serve_stdio = [make_session](server::Connection peer) -> Result<int> {
        auto session = (*make_session)(smtp::with_environment(std::move(peer)));
        return serve_stdio(*session, session_timeout_seconds);
    };
    return s;
}

} // namespace qm::qmtp

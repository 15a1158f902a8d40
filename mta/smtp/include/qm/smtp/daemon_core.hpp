// What the --listen daemons (qmail-smtpd, qmail-qmtpd, qmail-qmqpd) share: one Boost.Asio
// event loop, a thread pool for the blocking waits (qmail-queue's fsyncs, checkpassword),
// the connection count and its limit, the listening sockets, and the two-step shutdown:
// the first SIGTERM or SIGINT stops accepting and lets the open sessions end, a second
// one ends them at once.
#pragma once

#include "qm/log.hpp"
#include "qm/smtp/policy.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>

#include <list>

namespace qm::smtp {

inline constexpr auto use_tuple = boost::asio::experimental::as_tuple(boost::asio::use_awaitable);

struct DaemonCore {
    DaemonCore(unsigned queue_threads, unsigned connection_limit)
        : queue_pool(queue_threads)
        , max_connections(connection_limit) {}

    boost::asio::io_context io;
    boost::asio::thread_pool queue_pool;
    unsigned max_connections;
    unsigned active = 0;
    std::list<boost::asio::ip::tcp::acceptor> acceptors;
    // The open sessions' sockets, to end them on a second signal; a session takes its
    // own out before the socket goes away.
    std::list<boost::asio::ip::tcp::socket*> sockets;
    bool stopping = false;
    boost::asio::signal_set* signals = nullptr;

    // "status: active/max" in the log.
    void status() const;
    // Shuts down and closes a session's socket and counts the session out; the last one
    // after the first signal ends the loop.
    void finish(boost::asio::ip::tcp::socket& sock);
    // The first signal: no new connections. A second: every open session ends.
    void stop();
    // Runs the loop until stop() has been called and the last session ended, then waits
    // for the pool.
    void run();

    // Accepts connections until stopped. Over max_connections, refuse(socket&) answers
    // (or not) before the socket is closed; otherwise the connection is counted and
    // start(socket) spawns its session, which must end with finish().
    template <class Refuse, class Start>
    boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor,
                                             Refuse refuse, Start start);
    // Runs work() on the pool and resumes on the loop when it returned: this session
    // waits, the others run.
    template <class Work>
    boost::asio::awaitable<void> off_loop(Work work);
};

// A session's Connection: the socket's addresses, the local one as its host name too.
[[nodiscard]] Connection connection_of(const boost::asio::ip::tcp::socket& sock);

template <class Refuse, class Start>
boost::asio::awaitable<void> DaemonCore::accept_loop(boost::asio::ip::tcp::acceptor& acceptor,
                                                     Refuse refuse, Start start) {
    for (;;) {
        auto [ec, sock] = co_await acceptor.async_accept(use_tuple);
        if (ec) {
            if (stopping || ec == boost::asio::error::operation_aborted)
                co_return;
            log::warning("accept failed: " + ec.message());
            continue;
        }
        if (active >= max_connections) {
            refuse(sock);
            boost::system::error_code ignored;
            sock.close(ignored);
            continue;
        }
        ++active;
        status();
        start(std::move(sock));
    }
}

template <class Work>
boost::asio::awaitable<void> DaemonCore::off_loop(Work work) {
    co_await boost::asio::co_spawn(
        queue_pool,
        [&work]() -> boost::asio::awaitable<void> {
            work();
            co_return;
        },
        boost::asio::use_awaitable);
}

} // namespace qm::smtp

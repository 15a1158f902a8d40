// The event loop every --listen daemon runs on (qmail-smtpd, qmail-qmtpd, qmail-qmqpd):
// one Boost.Asio io_context, a thread pool for the sessions' blocking waits (qmail-queue's
// fsyncs, checkpassword), the connection count and its limits (overall and per address),
// the listening sockets, and the two-step shutdown: the first SIGTERM or SIGINT stops
// accepting and lets the open sessions end, a second one ends them at once.
#pragma once

#include "qm/log.hpp"
#include "qm/result.hpp"
#include "qm/server/connection.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>

#include <sys/types.h>

#include <list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qm::server {

inline constexpr auto use_tuple = boost::asio::experimental::as_tuple(boost::asio::use_awaitable);

struct DaemonCore;

// One connection counted against its address's limit; the count drops when it goes.
class IpSlot {
public:
    IpSlot(DaemonCore& core, std::string key)
        : core_(&core)
        , key_(std::move(key)) {}
    IpSlot(IpSlot&& o) noexcept
        : core_(std::exchange(o.core_, nullptr))
        , key_(std::move(o.key_)) {}
    IpSlot(const IpSlot&) = delete;
    IpSlot& operator=(const IpSlot&) = delete;
    IpSlot& operator=(IpSlot&&) = delete;
    ~IpSlot();

private:
    DaemonCore* core_;
    std::string key_;
};

// Default per-address limit: half the slots, as Postfix's smtpd_client_connection_count_limit
// (50 of 100): one address can never shut everyone else out, and a busy legitimate relay
// still gets room.
[[nodiscard]] inline unsigned default_per_ip_limit(unsigned max_connections) {
    return max_connections / 2 > 0 ? max_connections / 2 : 1;
}

struct DaemonCore {
    DaemonCore(unsigned blocking_threads, unsigned connection_limit, unsigned per_ip_limit = 0)
        : blocking_pool(blocking_threads)
        , max_connections(connection_limit)
        , max_per_ip(per_ip_limit != 0 ? per_ip_limit : default_per_ip_limit(connection_limit)) {}

    boost::asio::io_context io;
    boost::asio::thread_pool blocking_pool;
    unsigned max_connections;
    unsigned max_per_ip; // overridden per tcprules rule by MAXCONNIP
    unsigned active = 0;
    // Open sessions per address (IPv6 by /64, which one site usually holds whole).
    std::map<std::string, unsigned> per_ip;
    std::list<boost::asio::ip::tcp::acceptor> acceptors;
    // The open sessions' sockets, to end them on a second signal; a session takes its
    // own out before the socket goes away.
    std::list<boost::asio::ip::tcp::socket*> sockets;
    // Sessions run as processes of their own (run_session_process), each leading its
    // process group: a second signal sends the groups SIGTERM, since closing our copy of
    // their socket would not end them.
    std::list<pid_t> session_processes;
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

    // Counts a session from remote_ip against limit (0: max_per_ip); nullopt when the
    // address already holds that many.
    [[nodiscard]] std::optional<IpSlot> admit(const std::string& remote_ip, unsigned limit);
    void release(const std::string& key);
};

// The per-IP counting key: an IPv4 address (or IPv4-mapped IPv6) itself, an IPv6 /64.
[[nodiscard]] std::string ip_key(const std::string& remote_ip);

// MAXCONNIP from a tcprules rule's settings; 0 when absent or not a positive number.
[[nodiscard]] unsigned
rule_per_ip_limit(const std::vector<std::pair<std::string, std::string>>& env);

// Started as root (uid or euid 0), a --listen daemon calls this after binding and after
// reading what needs root (TLS key), before accepting: it becomes user (its passwd uid and
// primary group, no supplementary groups), which clears every capability, and checks that
// root cannot be regained. Not root: nothing to do. Failure is temporary (exit 111):
// the daemon must not serve as root.
[[nodiscard]] Status drop_root(const std::string& user);

// True when this process runs with uid or euid 0; the stdin/stdout modes refuse to.
[[nodiscard]] bool running_as_root();

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
        blocking_pool,
        [&work]() -> boost::asio::awaitable<void> {
            work();
            co_return;
        },
        boost::asio::use_awaitable);
}

} // namespace qm::server

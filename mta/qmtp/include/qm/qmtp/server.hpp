// What qmail-qmtpd and qmail-qmqpd share: a session interface without I/O (bytes in,
// responses out, as qm::smtp::Session), and the two drivers that move the bytes: one
// connection on stdin/stdout (tcpserver, inetd), or a Boost.Asio daemon holding every
// connection in one event loop. As in qmail-smtpd's daemon, the wait for qmail-queue
// runs on a small thread pool, so one message's fsyncs never stall the other sessions.
#pragma once

#include "qm/result.hpp"
#include "qm/smtp/policy.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qm::qmtp {

class ServerSession {
public:
    enum class Step : std::uint8_t { need_input, commit, close };

    ServerSession() = default;
    ServerSession(const ServerSession&) = delete;
    ServerSession& operator=(const ServerSession&) = delete;
    virtual ~ServerSession() = default;

    // Takes more client bytes (may be empty, to resume after commit()).
    virtual Step receive(std::string_view bytes) = 0;
    // Waits for qmail-queue's verdict on the message just received and appends the
    // responses. Only after receive() returned Step::commit; may run off the event loop.
    virtual void commit() = 0;
    // The client went away or timed out: abandon any half-received message.
    virtual void abort() = 0;

    // Responses produced so far; the driver writes and clears it.
    std::string& output() { return out_; }
    [[nodiscard]] bool closed() const { return closed_; }
    // The session ended on broken framing (logged; nothing of that message was queued).
    [[nodiscard]] bool protocol_error() const { return protocol_error_; }

protected:
    // Logs the framing error and closes the session.
    void drop(std::string_view peer, std::string_view what);

    std::string out_;
    bool closed_ = false;
    bool protocol_error_ = false;
};

// Serves one connection on fds 0 and 1 until the client is done, the session closes or
// timeout_seconds pass (qmail's one-hour alarm). Returns the exit status: 0, or 100
// after a protocol error (as qmail-qmtpd).
int serve_stdio(ServerSession& session, int timeout_seconds);

struct DaemonOptions {
    std::vector<std::string> listen; // "127.0.0.1:209", "[::1]:209", ":209" (every address)
    unsigned max_connections = 100;  // more are closed at once (a client retries later)
    unsigned max_per_ip = 0;         // per address (IPv6: /64); 0: max_connections / 2
    std::string user = "qmaild";     // started as root: become this user after binding
    unsigned queue_threads = 4;      // concurrent qmail-queue runs being waited for
    int timeout_seconds = 3600;      // longest session
    // tcprules cdb read for every connection: deny closes it, settings (RELAYCLIENT,
    // DATABYTES, QMAILQUEUE, ...) apply to it; unreadable: the client is turned away.
    std::string rules;
};

// Makes the session for a new connection (remote and local address filled in).
using SessionFactory = std::function<std::unique_ptr<ServerSession>(const smtp::Connection&)>;

// Serves until SIGTERM or SIGINT: then it stops accepting, lets the open sessions end
// (a second signal ends them at once) and returns. A listen address that cannot be bound
// is a temporary failure naming it; a malformed one a permanent failure.
[[nodiscard]] Status run_daemon(const DaemonOptions& options, const SessionFactory& make_session);

} // namespace qm::qmtp

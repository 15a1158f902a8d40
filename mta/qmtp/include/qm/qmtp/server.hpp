// What qmail-qmtpd and qmail-qmqpd share: a session interface without I/O (bytes in,
// responses out, as qm::smtp::Session), and the two drivers that move the bytes, plugged
// into qm::server::serve_main: one connection on stdin/stdout (tcpserver, inetd), or the
// --listen daemon holding every connection in one event loop. As in qmail-smtpd's
// daemon, the wait for qmail-queue runs on the daemon's pool, so one message's fsyncs
// never stall the other sessions.
#pragma once

#include "qm/result.hpp"
#include "qm/server/serve.hpp"
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

// A session lasts at most this long (qmail's one-hour alarm), in either mode.
inline constexpr int session_timeout_seconds = 3600;

// Serves one connection on fds 0 and 1 until the client is done, the session closes or
// timeout_seconds pass. Returns the exit status: 0, or 100 after a protocol error (as
// qmail-qmtpd), 111 when the time ran out.
int serve_stdio(ServerSession& session, int timeout_seconds);

// Makes the session for a new connection (addresses and settings filled in).
using SessionFactory = std::function<std::unique_ptr<ServerSession>(const smtp::Connection&)>;

// qmail-qmtpd or qmail-qmqpd for serve_main: name and usage (--help), and prepare, which
// runs once after the options (it may read controls) and gives the factory of every
// connection's session. It takes only the shared options; a client it refuses is closed
// unanswered (a QMTP or QMQP client retries an unanswered message later).
[[nodiscard]] server::Service service(std::string name, std::string usage,
                                      std::function<Result<SessionFactory>()> prepare);

} // namespace qm::qmtp

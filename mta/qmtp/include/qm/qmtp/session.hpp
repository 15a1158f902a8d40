// The QMTP and QMQP server sessions (qmail-qmtpd, qmail-qmqpd). Each message streams
// into a qmail-queue started when its netstring begins; the response is written only once
// the whole package (QMTP) or request (QMQP) has arrived and qmail-queue has said yes or
// no. "K" means qmail-queue exited 0: the message is on disk.
//
// QMTP, as qmail-qmtpd: one response per recipient, in order. rcpthosts/morercpthosts
// decide which recipients a client without RELAYCLIENT may use (RELAYCLIENT's value is
// appended to each recipient); an address of 1000 bytes or more, or with a NUL, is
// refused; databytes limits the stored message; and, unlike qmail, a message with 100
// or more Received/Delivered-To header lines is refused as a loop, and a recipient beyond
// maxrcpt in its package or maxrcptsession in the connection is answered Z (#4.5.3).
//
// QMQP, as qmail-qmqpd: one message per connection, one response; no rcpthosts check and
// no recipient limit (the clients are trusted, see tcprules: a list host's qmail-qmqpc
// may hand over a whole list), addresses as in QMTP.
//
// Both: a bare CR in a message's header is stored as a space (qm/header_cr.hpp).
#pragma once

#include "qm/envelope.hpp"
#include "qm/header_cr.hpp"
#include "qm/qmtp/framing.hpp"
#include "qm/qmtp/server.hpp"
#include "qm/queue_client.hpp"
#include "qm/smtp/policy.hpp"

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qm::qmtp {

using Clock = std::function<std::time_t()>;

// "<len>:K...," and friends: a Failure as a response ("Z" temporary, "D" permanent).
[[nodiscard]] std::string response(std::string_view text);
[[nodiscard]] std::string failure_response_text(const Failure& f);

// What both sessions share: the connection, the input kept between receive() calls, and
// the message being received, which streams into a qmail-queue.
class FramedSession : public ServerSession {
protected:
    FramedSession(smtp::Connection conn, Clock clock)
        : conn_(std::move(conn))
        , clock_(std::move(clock)) {}

    // Appends bytes and hands the parser's events to on_event (all but more) until the
    // parser wants more input, a complete package or request waits for commit() (the
    // bytes after it are kept for then), or the session closes.
    template <class Parser, class OnEvent>
    Step pump(Parser& parser, std::string_view bytes, OnEvent on_event);
    // A message begins: its qmail-queue starts (or why it could not is kept for the
    // response) and gets our Received line, naming protocol.
    void start_queue(const char* protocol);
    // The message's next stored bytes, and its end, with bare CRs in the header made
    // spaces (qm/header_cr.hpp): what goes to qmail-queue. Valid until the next call.
    std::string_view header_checked(std::string_view piece);
    std::string_view header_checked_end();

    smtp::Connection conn_;
    Clock clock_;
    std::string in_;
    size_t in_pos_ = 0;
    std::optional<QueueStream> queue_;
    std::optional<Failure> queue_start_failure_;
    HeaderCrFilter header_cr_;
    std::string header_checked_;
    Envelope envelope_;
    bool commit_pending_ = false;
};

class QmtpSession final : public FramedSession {
public:
    QmtpSession(
        std::shared_ptr<const smtp::Controls> controls, smtp::Connection conn,
        Clock clock = [] { return std::time(nullptr); });

    Step receive(std::string_view bytes) override;
    void commit() override;
    void abort() override;

private:
    void message_data(std::string_view stored);
    void sender(std::string_view address, size_t length);
    void recipient(std::string_view address, size_t length);
    [[nodiscard]] std::uint64_t databytes() const;
    void reset();

    std::shared_ptr<const smtp::Controls> controls_;
    QmtpParser parser_;
    // The rest of the package being received.
    bool sender_ok_ = true;
    bool too_big_ = false;
    std::uint64_t stored_ = 0;
    HopCounter hops_;
    // per recipient: 0 accepted, 'D' domain, 'L' address, 'M'/'S' over maxrcpt/maxrcptsession
    std::vector<char> refusals_;
    std::uint64_t session_recipients_ = 0; // accepted in this connection
};

class QmqpSession final : public FramedSession {
public:
    QmqpSession(
        smtp::Connection conn, Clock clock = [] { return std::time(nullptr); });

    Step receive(std::string_view bytes) override;
    void commit() override;
    void abort() override;

private:
    void address(std::string_view address, size_t length, bool is_sender);

    QmqpParser parser_;
    bool addresses_ok_ = true;
};

} // namespace qm::qmtp

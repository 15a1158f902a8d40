// The QMTP and QMQP server sessions (qmail-qmtpd, qmail-qmqpd). Each message streams
// into a qmail-queue started when its netstring begins; the response is written only once
// the whole package (QMTP) or request (QMQP) has arrived and qmail-queue has said yes or
// no. "K" means qmail-queue exited 0: the message is on disk.
//
// QMTP, as qmail-qmtpd: one response per recipient, in order. rcpthosts/morercpthosts
// decide which recipients a client without RELAYCLIENT may use (RELAYCLIENT's value is
// appended to each recipient); an address of 1000 bytes or more, or with a NUL, is
// refused; databytes limits the stored message; and, unlike qmail, a message with 100
// or more Received/Delivered-To header lines is refused as a loop.
//
// QMQP, as qmail-qmqpd: one message per connection, one response; no rcpthosts check (the
// clients are trusted, see tcprules), addresses as in QMTP.
#pragma once

#include "qm/envelope.hpp"
#include "qm/qmtp/framing.hpp"
#include "qm/qmtp/server.hpp"
#include "qm/queue_client.hpp"
#include "qm/smtp/policy.hpp"

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qm::qmtp {

using Clock = std::function<std::time_t()>;

// "<len>:K...," and friends: a Failure as a response ("Z" temporary, "D" permanent).
[[nodiscard]] std::string response(std::string_view text);
[[nodiscard]] std::string failure_response_text(const Failure& f);

class QmtpSession final : public ServerSession {
public:
    QmtpSession(
        std::shared_ptr<const smtp::Controls> controls, smtp::Connection conn,
        Clock clock = [] { return std::time(nullptr); });

    Step receive(std::string_view bytes) override;
    void commit() override;
    void abort() override;

private:
    void begin_message();
    void message_data(std::string_view stored);
    void sender(std::string_view address, size_t length);
    void recipient(std::string_view address, size_t length);
    [[nodiscard]] std::uint64_t databytes() const;
    void reset();

    std::shared_ptr<const smtp::Controls> controls_;
    smtp::Connection conn_;
    Clock clock_;
    QmtpParser parser_;
    std::string in_;
    size_t in_pos_ = 0;

    // The package being received.
    std::optional<QueueStream> queue_;
    std::optional<Failure> queue_start_failure_;
    Envelope envelope_;
    bool sender_ok_ = true;
    bool too_big_ = false;
    std::uint64_t stored_ = 0;
    HopCounter hops_;
    std::vector<char> refusals_; // per recipient: 0 accepted, 'D' domain, 'L' address
    bool commit_pending_ = false;
};

class QmqpSession final : public ServerSession {
public:
    QmqpSession(
        smtp::Connection conn, Clock clock = [] { return std::time(nullptr); });

    Step receive(std::string_view bytes) override;
    void commit() override;
    void abort() override;

private:
    void address(std::string_view address, size_t length, bool is_sender);

    smtp::Connection conn_;
    Clock clock_;
    QmqpParser parser_;
    std::string in_;
    size_t in_pos_ = 0;
    std::optional<QueueStream> queue_;
    std::optional<Failure> queue_start_failure_;
    Envelope envelope_;
    bool addresses_ok_ = true;
    bool commit_pending_ = false;
};

} // namespace qm::qmtp

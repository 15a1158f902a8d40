// One SMTP session as a state machine without I/O: bytes from the client go in, replies
// come out. The drivers (qmail-smtpd on stdin/stdout, the Asio daemon) only move bytes
// and time. Replies to pipelined commands collect in the output; a driver writes them
// whenever it is about to wait for more input, which is what PIPELINING needs.
//
// DATA streams into a qmail-queue started at "354"; when the final dot arrives the
// session stops and reports Step::commit. The driver then calls commit(), which waits
// for qmail-queue's verdict (and so may be run off the event loop), and resumes with
// receive({}). "250" is only ever written after qmail-queue has exited 0, that is, once
// the message is on disk.
#pragma once

#include "qm/envelope.hpp"
#include "qm/queue_client.hpp"
#include "qm/smtp/data_decoder.hpp"
#include "qm/smtp/policy.hpp"

#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace qm::smtp {

class Session {
public:
    enum class Step : std::uint8_t { need_input, commit, close };

    // clock: the time for Received lines (tests pin it).
    Session(
        std::shared_ptr<const Controls> controls, Connection conn,
        std::function<std::time_t()> clock = [] { return std::time(nullptr); });

    // The 220 greeting; call once, first.
    [[nodiscard]] std::string greeting() const;
    // Takes more client bytes (may be empty, to resume after commit()).
    Step receive(std::string_view bytes);
    // Hands the finished message to qmail-queue and appends the reply. Only after
    // receive() returned Step::commit.
    void commit();
    // The client went away or timed out: abandon any half-received message.
    void abort();
    // "451 timeout": the reply to write before closing an idle session.
    [[nodiscard]] static std::string timeout_reply();

    // Replies produced so far; the caller writes and clears it.
    std::string& output() { return out_; }
    [[nodiscard]] bool closed() const { return closed_; }
    [[nodiscard]] int timeout_seconds() const { return controls_->timeout_seconds; }

private:
    void handle_line(std::string_view line);
    void reply(std::string_view text);
    void bad_command(std::string_view text);
    void reset_transaction();
    void helo(std::string_view arg, bool extended);
    void mail(std::string_view arg);
    void rcpt(std::string_view arg);
    void data();
    // Decodes buffered DATA bytes; false when the message is still incomplete.
    bool receive_data();
    [[nodiscard]] std::uint64_t databytes() const;

    std::shared_ptr<const Controls> controls_;
    Connection conn_;
    std::function<std::time_t()> clock_;

    std::string in_; // received, not yet processed
    size_t in_pos_ = 0;
    std::string out_;
    bool closed_ = false;
    bool discarding_long_line_ = false;
    unsigned errors_ = 0;

    std::string helo_;
    bool extended_ = false;
    std::optional<Envelope> envelope_; // after MAIL
    bool sender_is_bad_ = false;

    // DATA in progress
    bool in_data_ = false;
    std::optional<DataDecoder> decoder_;
    std::optional<QueueStream> queue_;
    std::string chunk_;
    bool commit_pending_ = false;
};

} // namespace qm::smtp

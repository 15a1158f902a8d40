// One SMTP session as a state machine without I/O: bytes from the client go in, replies
// come out. The drivers (qmail-smtpd on stdin/stdout, the Asio daemon) only move bytes
// and time. Replies to pipelined commands collect in the output; a driver writes them
// whenever it is about to wait for more input, which is what PIPELINING needs.
//
// Two things wait on other processes, and a driver may run them off its event loop:
// the end of DATA (qmail-queue's verdict: "250" is only written after it exited 0, that
// is, once the message is on disk) and an AUTH check (the checkpassword program). For
// both, receive() stops with Step::blocking; the driver calls run_blocking() and then
// resumes with receive({}).
//
// STARTTLS: receive() stops with Step::starttls after "220 ready"; anything the client
// pipelined after the command is discarded (it was sent in the clear and must not be
// obeyed after the handshake). The driver wraps the connection in TLS and calls
// tls_started(), which forgets the HELO (RFC 3207 section 4.2).
#pragma once

#include "qm/envelope.hpp"
#include "qm/queue_client.hpp"
#include "qm/smtp/data_decoder.hpp"
#include "qm/smtp/policy.hpp"
#include "qm/smtp/sink.hpp"

#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::smtp {

// What this listener offers beyond plain SMTP.
struct Features {
    bool tls_available = false; // STARTTLS (a certificate is loaded)
    // A submission listener (RFC 6409): MAIL needs AUTH, which is offered only after
    // STARTTLS and checked with this checkpassword-interface program.
    bool submission = false;
    std::vector<std::string> checkpassword; // program and arguments; "/bin/true" is appended
    // Where messages go; empty means a qmail-queue process per message.
    SinkFactory sink;
};

class Session {
public:
    enum class Step : std::uint8_t { need_input, blocking, starttls, close };

    // clock: the time for Received lines (tests pin it).
    Session(
        std::shared_ptr<const Controls> controls, Connection conn, Features features = {},
        std::function<std::time_t()> clock = [] { return std::time(nullptr); });

    // The 220 greeting; call once, first.
    [[nodiscard]] std::string greeting() const;
    // Takes more client bytes (may be empty, to resume after run_blocking()).
    Step receive(std::string_view bytes);
    // Does the waiting that receive() stopped for (qmail-queue, checkpassword) and
    // appends the reply.
    void run_blocking();
    // The driver finished the TLS handshake.
    void tls_started();
    // The client went away or timed out: abandon any half-received message.
    void abort();
    // "451 timeout": the reply to write before closing an idle session.
    [[nodiscard]] static std::string timeout_reply();

    // Replies produced so far; the caller writes and clears it.
    std::string& output() { return out_; }
    [[nodiscard]] bool closed() const { return closed_; }
    // The session ended with QUIT and its 221 (qmail-smtpd then exits 0, else 1).
    [[nodiscard]] bool quit_answered() const { return quit_answered_; }
    [[nodiscard]] int timeout_seconds() const { return controls_->timeout_seconds; }
    // How long the driver holds the greeting back, watching for an early talker.
    [[nodiscard]] int greet_delay_seconds() const { return greet_delay(*controls_, conn_); }
    // The authenticated user, for the log; empty before AUTH.
    [[nodiscard]] const std::string& authenticated_user() const { return auth_user_; }

private:
    enum class AuthStep : std::uint8_t { none, plain_response, login_user, login_password };

    void handle_line(std::string_view line);
    void reply(std::string_view text);
    void bad_command(std::string_view text);
    void reset_transaction();
    void helo(std::string_view arg, bool extended);
    void mail(std::string_view arg);
    void rcpt(std::string_view arg);
    void data();
    void starttls(std::string_view arg);
    void auth(std::string_view arg);
    void auth_response(std::string_view line);
    void check_plain(std::string_view base64);
    void commit();
    void check_password();
    // Decodes buffered DATA bytes; false when the message is still incomplete.
    bool receive_data();
    [[nodiscard]] std::uint64_t databytes() const;
    [[nodiscard]] std::string protocol() const;

    std::shared_ptr<const Controls> controls_;
    Connection conn_;
    Features features_;
    std::function<std::time_t()> clock_;

    std::string in_; // received, not yet processed
    size_t in_pos_ = 0;
    std::string out_;
    bool closed_ = false;
    bool quit_answered_ = false;
    bool discarding_long_line_ = false;
    unsigned errors_ = 0;

    std::string helo_;
    bool helo_given_ = false; // helo_ is the client's word, not the default
    bool extended_ = false;
    bool tls_active_ = false;
    bool starttls_pending_ = false;
    std::optional<Envelope> envelope_; // after MAIL
    bool sender_is_bad_ = false;
    std::uint64_t session_recipients_ = 0; // accepted in this connection, for maxrcptsession

    // AUTH
    AuthStep auth_step_ = AuthStep::none;
    std::string auth_user_;
    std::optional<std::pair<std::string, std::string>> credentials_; // to check
    bool check_pending_ = false;

    // DATA in progress
    bool in_data_ = false;
    std::optional<DataDecoder> decoder_;
    std::unique_ptr<MessageSink> sink_;
    std::string chunk_;
    bool commit_pending_ = false;
};

} // namespace qm::smtp

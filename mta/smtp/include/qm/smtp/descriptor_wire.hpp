// A client on blocking descriptors, in the clear or under TLS once STARTTLS (STLS) is
// answered, with a deadline on every wait: the stdin/stdout side of qmail-smtpd and
// qmail-popup, as tcpserver or inetd hand them the connection.
#pragma once

#include "qm/smtp/tls.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace qm::smtp {

class DescriptorWire {
public:
    using clock = std::chrono::steady_clock;

    DescriptorWire(int in_fd, int out_fd)
        : in_(in_fd)
        , out_(out_fd) {}

    enum class Got : std::uint8_t { data, tls_ready, timeout, gone };

    // Writes plain (encrypted under TLS) by the deadline and clears it; false when the
    // client is gone or has not taken it in time (logged: a client that never reads).
    bool write(std::string& plain, clock::time_point deadline);

    // Waits until deadline for the client and appends what it sent to plain: in the clear
    // at most max_bytes (qmail-popup reads a byte at a time, so that what follows a login
    // stays unread for qmail-pop3d). Under TLS a read may hold only part of a record or of
    // the handshake; it waits on then, to the same deadline. tls_ready: the handshake just
    // finished (plain may hold a command already).
    Got read(clock::time_point deadline, std::string& plain, size_t max_bytes = 65536);

    // Whether the client sends anything (or leaves) within seconds, before any greeting.
    bool talks_within(int seconds);

    // From now on the bytes are TLS records; the handshake runs in read().
    void start_tls(boost::asio::ssl::context& context);
    [[nodiscard]] bool tls() const { return tls_ != nullptr; }
    [[nodiscard]] bool handshaking() const { return tls_ && !tls_->handshake_done(); }
    [[nodiscard]] int in_fd() const { return in_; }

    // Ends TLS with close_notify, so the client knows the session was not cut short.
    void close(clock::time_point deadline);

private:
    bool flush_tls(clock::time_point deadline);
    bool send(std::string_view bytes, clock::time_point deadline);

    int in_, out_;
    std::unique_ptr<BufferedTls> tls_;
};

} // namespace qm::smtp

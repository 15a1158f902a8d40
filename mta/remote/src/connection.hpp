// The remote client's connection (private to mta/remote): a TCP stream, optionally TLS,
// with one timeout bounding every read and write.
#pragma once

#include "qm/dns/lookup.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace qm::remote {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

struct Reply {
    int code = 0;
    std::string text; // every line, CRs dropped, joined by '\n', no final newline
};

// The EHLO keywords we act on.
struct Extensions {
    bool pipelining = false;
    bool starttls = false;
    bool size = false;         // RFC 1870: MAIL FROM takes SIZE=
    bool eightbitmime = false; // RFC 6152: MAIL FROM takes BODY=8BITMIME
};

// One connection: SMTP, plain or TLS after STARTTLS, or QMTP. Every read and write is
// bounded by the timeout; a timeout or a closed connection makes the operation report
// failure.
class Conn {
public:
    Conn(tcp::socket sock, std::chrono::seconds timeout)
        : sock_(std::move(sock))
        , timer_(sock_.get_executor())
        , timeout_(timeout) {}

    awaitable<bool> write(std::string_view data) {
        arm();
        boost::system::error_code ec;
        if (tls_)
            std::tie(ec, std::ignore) =
                co_await asio::async_write(*tls_, asio::buffer(data), use_tuple);
        else
            std::tie(ec, std::ignore) =
                co_await asio::async_write(sock_, asio::buffer(data), use_tuple);
        timer_.cancel();
        co_return !ec;
    }

    // nullopt when the connection died (or timed out) before a whole reply arrived.
    awaitable<std::optional<Reply>> read_reply() {
        Reply r;
        for (;;) {
            auto line = co_await read_line();
            if (!line)
                co_return std::nullopt;
            if (!r.text.empty())
                r.text += '\n';
            r.text += *line;
            const bool more = line->size() > 3 && (*line)[3] == '-';
            if (!more) {
                int code = 0;
                for (size_t i = 0; i < 3 && i < line->size(); ++i) {
                    if (!std::isdigit(static_cast<unsigned char>((*line)[i]))) {
                        code = 0;
                        break;
                    }
                    code = code * 10 + ((*line)[i] - '0');
                }
                r.code = code;
                co_return r;
            }
        }
    }

    // Appends what arrives next to input(); false when the connection died or timed out.
    awaitable<bool> read_more() {
        char buf[4096];
        arm();
        boost::system::error_code ec;
        size_t n = 0;
        if (tls_)
            std::tie(ec, n) = co_await tls_->async_read_some(asio::buffer(buf), use_tuple);
        else
            std::tie(ec, n) = co_await sock_.async_read_some(asio::buffer(buf), use_tuple);
        timer_.cancel();
        if (ec && n == 0)
            co_return false;
        in_.append(buf, n);
        co_return true;
    }
    // Received and not yet consumed; a reader erases what it used.
    std::string& input() { return in_; }

    // STARTTLS was answered 220: the handshake, without certificate verification (see
    // Client::Impl). The server name goes in SNI.
    // prepare sets up what the certificate is checked against (DANE, a host name) on the
    // connection's SSL before the handshake; false: it could not, no handshake.
    awaitable<bool> start_tls(asio::ssl::context& ctx, const std::string& server_name,
                              const std::function<bool(SSL*)>& prepare = {}) {
        in_.clear(); // nothing sent in the clear before the handshake counts
        tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(sock_, ctx);
        if (!server_name.empty() && !dns::ip_literal(server_name))
            ::SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
        if (prepare && !prepare(tls_->native_handle()))
            co_return false;
        arm();
        auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
        timer_.cancel();
        co_return !ec;
    }

    // The OpenSSL connection, once TLS started (for the certificate's verdict).
    [[nodiscard]] SSL* ssl() const { return tls_ ? tls_->native_handle() : nullptr; }

    [[nodiscard]] std::string tls_description() const {
        if (!tls_)
            return {};
        SSL* ssl = tls_->native_handle();
        return std::string(::SSL_get_version(ssl)) + " " + ::SSL_get_cipher_name(ssl);
    }

    // What the server offered after the last EHLO, and the TLS line for reports: kept
    // with the connection for the next message over it.
    Extensions ext;
    std::string tls_note;
    // What the TLS of this connection proved (TlsDemand::proof), for its reuse.
    std::string tls_proof;

    // Nothing to read and not closed by the peer, as an idle connection should be (a
    // look, not a wait).
    [[nodiscard]] bool quiet() {
        if (!in_.empty())
            return false;
        char byte = 0;
        const ssize_t n = ::recv(sock_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    void close() {
        boost::system::error_code ignored;
        sock_.shutdown(tcp::socket::shutdown_both, ignored);
        sock_.close(ignored);
    }

private:
    void arm() {
        timer_.expires_after(timeout_);
        timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                boost::system::error_code ignored;
                sock_.cancel(ignored);
            }
        });
    }

    awaitable<std::optional<std::string>> read_line() {
        constexpr size_t max_line = 65536; // a reply line longer than this is a broken peer
        for (;;) {
            auto nl = in_.find('\n');
            if (nl != std::string::npos) {
                std::string line = in_.substr(0, nl);
                in_.erase(0, nl + 1);
                std::erase(line, '\r');
                co_return line;
            }
            if (in_.size() > max_line || !co_await read_more())
                co_return std::nullopt;
        }
    }

    tcp::socket sock_;
    std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
    asio::steady_timer timer_;
    std::chrono::seconds timeout_;
    std::string in_;
};

} // namespace qm::remote

// Server-side TLS for qmail-smtpd: the context both drivers share (the Asio daemon wraps
// its sockets in it), and a TLS session over byte buffers for the stdin/stdout driver,
// which keeps its own blocking descriptors, poll loop and timeouts.
#pragma once

#include "qm/result.hpp"

#include <boost/asio/ssl/context.hpp> // also declares OpenSSL's SSL and BIO

#include <memory>
#include <string>
#include <string_view>

namespace qm::smtp {

// The certificate chain and private key from one PEM file (qmail's servercert.pem),
// TLS 1.2 and later. No file: nullptr, no STARTTLS. A file that is there but unusable is
// a temporary failure, not a silent downgrade.
[[nodiscard]] Result<std::unique_ptr<boost::asio::ssl::context>>
load_server_tls(const std::string& path);

// One server-side TLS session whose network side is memory: the driver hands it what it
// read from the client and writes to the client what take_output() returns.
class BufferedTls {
public:
    explicit BufferedTls(boost::asio::ssl::context& context);
    ~BufferedTls();
    BufferedTls(const BufferedTls&) = delete;
    BufferedTls& operator=(const BufferedTls&) = delete;

    // Takes bytes from the client, advances the handshake and appends the plaintext that
    // is now readable to plain. False when the session is over: the handshake or a record
    // failed (error() says why) or the client sent close_notify (error() is empty).
    bool receive(std::string_view from_client, std::string& plain);
    [[nodiscard]] bool handshake_done() const;
    // Encrypts plaintext for the client (after the handshake); false when the session
    // failed (error() says why).
    bool send(std::string_view plain);
    // Starts the closing handshake (close_notify).
    void close();
    // Bytes to write to the client (handshake messages, records, alerts); clears them.
    [[nodiscard]] std::string take_output();
    [[nodiscard]] const std::string& error() const { return error_; }
    // "TLSv1.3 TLS_AES_256_GCM_SHA384", for the log.
    [[nodiscard]] std::string description() const;

private:
    SSL* ssl_ = nullptr;
    BIO* from_client_ = nullptr; // owned by ssl_
    BIO* to_client_ = nullptr;   // owned by ssl_
    std::string error_;
};

} // namespace qm::smtp

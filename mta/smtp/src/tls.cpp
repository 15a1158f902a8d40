#include "qm/smtp/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace qm::smtp {

namespace asio = boost::asio;

Result<std::unique_ptr<asio::ssl::context>> load_server_tls(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return std::unique_ptr<asio::ssl::context>();
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(path, ec);
    if (!ec)
        ctx->use_private_key_file(path, asio::ssl::context::pem, ec);
    if (ec)
        return fail(
            temp("4.3.0", "unable to load the TLS certificate " + path + ": " + ec.message()));
    return ctx;
}

namespace {

// OpenSSL's reason for the last failure, or what SSL_get_error said when it queued none
// (a client that closed the connection mid-handshake, say).
std::string openssl_error(int ssl_error) {
    const unsigned long code = ::ERR_get_error();
    if (code == 0)
        return "TLS error " + std::to_string(ssl_error);
    char text[256];
    ::ERR_error_string_n(code, text, sizeof text);
    return text;
}

bool retry(int ssl_error) {
    return ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE;
}

} // namespace

BufferedTls::BufferedTls(asio::ssl::context& context)
    : ssl_(::SSL_new(context.native_handle())) {
    from_client_ = ::BIO_new(::BIO_s_mem());
    to_client_ = ::BIO_new(::BIO_s_mem());
    if (ssl_ == nullptr || from_client_ == nullptr || to_client_ == nullptr) {
        ::BIO_free(from_client_);
        ::BIO_free(to_client_);
        ::SSL_free(ssl_);
        throw std::bad_alloc();
    }
    // An empty input buffer means "wait for the client", not end of file.
    BIO_set_mem_eof_return(from_client_, -1);
    ::SSL_set_bio(ssl_, from_client_, to_client_);
    ::SSL_set_accept_state(ssl_);
}

BufferedTls::~BufferedTls() {
    ::SSL_free(ssl_); // frees both BIOs
}

bool BufferedTls::handshake_done() const {
    return ::SSL_is_init_finished(ssl_) != 0;
}

bool BufferedTls::receive(std::string_view from_client, std::string& plain) {
    while (!from_client.empty()) {
        const int chunk = static_cast<int>(std::min<size_t>(from_client.size(), INT_MAX));
        const int n = ::BIO_write(from_client_, from_client.data(), chunk);
        if (n <= 0)
            throw std::bad_alloc(); // a memory BIO only refuses when it cannot grow
        from_client.remove_prefix(static_cast<size_t>(n));
    }
    ::ERR_clear_error();
    if (!handshake_done()) {
        const int r = ::SSL_do_handshake(ssl_);
        if (r != 1) {
            const int e = ::SSL_get_error(ssl_, r);
            if (retry(e))
                return true;
            error_ = openssl_error(e);
            return false;
        }
    }
    char buf[16384];
    for (;;) {
        const int n = ::SSL_read(ssl_, buf, sizeof buf);
        if (n > 0) {
            plain.append(buf, static_cast<size_t>(n));
            continue;
        }
        const int e = ::SSL_get_error(ssl_, n);
        if (retry(e))
            return true;
        if (e != SSL_ERROR_ZERO_RETURN)
            error_ = openssl_error(e);
        return false;
    }
}

bool BufferedTls::send(std::string_view plain) {
    ::ERR_clear_error();
    while (!plain.empty()) {
        const int chunk = static_cast<int>(std::min<size_t>(plain.size(), INT_MAX));
        const int n = ::SSL_write(ssl_, plain.data(), chunk);
        if (n <= 0) {
            error_ = openssl_error(::SSL_get_error(ssl_, n));
            return false;
        }
        plain.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

void BufferedTls::close() {
    ::ERR_clear_error();
    (void)::SSL_shutdown(ssl_); // queues close_notify; the client's answer is not awaited
}

std::string BufferedTls::take_output() {
    std::string out;
    char buf[16384];
    for (int n; (n = ::BIO_read(to_client_, buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<size_t>(n));
    return out;
}

std::string BufferedTls::description() const {
    return std::string(::SSL_get_version(ssl_)) + " " + ::SSL_get_cipher_name(ssl_);
}

} // namespace qm::smtp

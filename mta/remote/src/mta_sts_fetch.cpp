#include "qm/remote/mta_sts_fetch.hpp"

#include "qm/address.hpp"
#include "qm/remote/mta_sts.hpp"

#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace qm::remote::sts {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;

namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

Failure no_policy(const std::string& url, const std::string& why) {
    return temp("4.7.5", url + " " + why);
}

} // namespace

awaitable<Result<std::string>> fetch_policy_text(asio::ssl::context& ctx, FetchPlace place,
                                                 std::chrono::seconds limit) {
    const std::string host = "mta-sts." + place.domain;
    const std::string url = "https://" + host +
                            (place.port == 443 ? "" : ":" + std::to_string(place.port)) +
                            "/.well-known/mta-sts.txt";
    std::vector<asio::ip::tcp::endpoint> endpoints;
    for (const auto& a : place.addresses)
        endpoints.emplace_back(a, place.port);
    if (endpoints.empty())
        co_return fail(no_policy(url, "has no address"));

    beast::ssl_stream<beast::tcp_stream> stream(co_await asio::this_coro::executor, ctx);
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_after(limit); // one deadline for the whole exchange

    // The certificate must name mta-sts.D (RFC 8461 3.3), a wildcard only as a whole label.
    SSL* ssl = stream.native_handle();
    ::SSL_set_tlsext_host_name(ssl, host.c_str());
    ::SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (::SSL_set1_host(ssl, host.c_str()) != 1 ||
        ::SSL_set_min_proto_version(ssl, TLS1_2_VERSION) != 1)
        co_return fail(no_policy(url, "could not be asked for: OpenSSL refused the host name"));

    if (auto [ec, ep] = co_await tcp.async_connect(endpoints, use_tuple); ec)
        co_return fail(no_policy(url, "could not be reached: " + ec.message()));
    if (auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
        ec) {
        const long verdict = ::SSL_get_verify_result(ssl);
        co_return fail(no_policy(
            url, verdict != X509_V_OK ? "presented a certificate that does not verify: " +
                                            std::string(::X509_verify_cert_error_string(verdict))
                                      : "failed the TLS handshake: " + ec.message()));
    }

    http::request<http::empty_body> request{http::verb::get, "/.well-known/mta-sts.txt", 11};
    request.set(http::field::host, host);
    request.set(http::field::user_agent, "qmail-remote (MTA-STS)");
    request.set(http::field::connection, "close");
    if (auto [ec, n] = co_await http::async_write(stream, request, use_tuple); ec)
        co_return fail(no_policy(url, "could not be asked: " + ec.message()));

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(policy_size_limit);
    if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple); ec)
        co_return fail(no_policy(url, ec == http::error::body_limit
                                          ? "sent a policy larger than 64 KiB"
                                          : "did not answer: " + ec.message()));
    auto response = parser.release();

    // The answer is all we need: a short farewell, whose failure changes nothing.
    tcp.expires_after(std::chrono::seconds(2));
    (void)co_await stream.async_shutdown(use_tuple);

    const unsigned status = response.result_int();
    if (status >= 300 && status < 400)
        co_return fail(no_policy(
            url, "redirected to " + std::string(response[http::field::location].substr(0, 200)) +
                     "; redirects are not followed (RFC 8461 3.3)"));
    if (status != 200)
        co_return fail(no_policy(url, "answered HTTP " + std::to_string(status)));
    const std::string type = address::lowercase(response[http::field::content_type]);
    if (!type.starts_with("text/plain"))
        co_return fail(
            no_policy(url, "served the policy as \"" + type.substr(0, 80) + "\", not text/plain"));
    co_return std::move(response.body());
}

} // namespace qm::remote::sts

#include "qm/web/server/http.hpp"

#include "qm/web/server/route.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sqlite3.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <iostream>

namespace qm::web::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t gzip_threshold = 1024;
// Connections open at once; one more is closed as soon as it is accepted. Each costs
// its buffer (at most the header limit) and a coroutine frame, so this bounds memory.
constexpr size_t max_connections = 1024;

// Whether Accept-Encoding names gzip without q=0.
bool accepts_gzip(std::string_view value) {
    size_t pos = 0;
    while (pos < value.size()) {
        size_t end = value.find(',', pos);
        if (end == std::string_view::npos)
            end = value.size();
        std::string_view item = value.substr(pos, end - pos);
        pos = end + 1;
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        const size_t semi = item.find(';');
        std::string_view coding = item.substr(0, semi);
        while (!coding.empty() && coding.back() == ' ')
            coding.remove_suffix(1);
        if (coding != "gzip" && coding != "x-gzip")
            continue;
        if (semi == std::string_view::npos)
            return true;
        std::string params(item.substr(semi + 1));
        std::erase(params, ' ');
        return !(params == "q=0" || params == "q=0.0" || params == "q=0.00" || params == "q=0.000");
    }
    return false;
}

template <class Body>
void set_fields(http::response<Body>& res, const Response& r, bool keep_alive) {
    res.set(http::field::server, "ezmlm-webarchive");
    if (r.status != 304)
        res.set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : safety_fields())
        res.set(name, value);
    for (const auto& [name, value] : r.fields)
        res.set(name, value);
    res.keep_alive(keep_alive);
}

asio::awaitable<void> send(beast::tcp_stream& stream, Response r, bool head, bool keep_alive,
                           bool gzip_ok, beast::error_code& ec) {
    if (r.compressible && gzip_ok && r.body.size() > gzip_threshold) {
        r.body = gzip(r.body);
        r.fields.emplace_back("Content-Encoding", "gzip");
        // Another representation, another strong validator (RFC 9110 8.8.3).
        for (auto& [field, value] : r.fields)
            if (field == "ETag" && value.size() >= 2)
                value.insert(value.size() - 1, "-gz");
    }
    if (r.compressible)
        r.fields.emplace_back("Vary", "Accept-Encoding");
    const auto status = static_cast<http::status>(r.status);
    if (head || r.status == 304) {
        // The fields the GET would have, no body.
        http::response<http::empty_body> res{status, 11};
        set_fields(res, r, keep_alive);
        if (r.status != 304)
            res.content_length(r.body.size());
        http::response_serializer<http::empty_body> sr{res};
        co_await http::async_write_header(stream, sr,
                                          asio::redirect_error(asio::use_awaitable, ec));
        co_return;
    }
    http::response<http::string_body> res{status, 11};
    set_fields(res, r, keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
}

// After an error answer on a connection whose request was not read to its end: the
// client may still be sending, and closing a socket with unread data resets it, which
// can destroy the answer before the client reads it. So stop sending, then read and drop
// what comes (bounded in bytes and time) until the client closes.
asio::awaitable<void> linger(beast::tcp_stream& stream, std::chrono::seconds timeout) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::min(timeout, std::chrono::seconds(2)));
    char buf[4096];
    size_t total = 0;
    while (!ec && total < 65536)
        total += co_await stream.async_read_some(asio::buffer(buf),
                                                 asio::redirect_error(asio::use_awaitable, ec));
}

// The page for request, built on a pool thread. The request is a copy in this
// coroutine's frame: nothing of the session's is touched off the event loop.
asio::awaitable<Response> build(const Site& site, Request request) {
    try {
        co_return site.handle(request);
    } catch (const std::exception& e) {
        // Out of memory or a bug: this request fails, the server goes on.
        std::cerr << "ezmlm-webarchive: " << e.what() << "\n";
        co_return error_page(500);
    }
}

asio::awaitable<void> session(tcp::socket socket, const Site& site, asio::thread_pool& pool,
                              size_t& open) {
    // One thread runs every session coroutine (the pool only builds pages), so the
    // count needs no lock.
    struct Count {
        size_t& n;
        ~Count() { --n; }
    } count{open};
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(header_limit);
    const auto timeout = site.config().request_timeout;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(header_limit));
        // Beast checks Content-Length against the limit as the header ends: the most any
        // request may send, lowered to nothing below for those that take no body.
        parser.body_limit(post_body_limit);
        // One deadline for the whole request: a client trickling its header a byte at a
        // time is cut off when it passes, whatever it still sends.
        stream.expires_after(timeout);
        beast::error_code ec;
        co_await http::async_read_header(stream, buffer, parser,
                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == asio::error::connection_reset || ec == asio::error::eof)
            break;
        // GET and HEAD everywhere; POST only where a form or RFC 8058 posts, its body
        // at most post_body_limit. Anything else is refused before its body is read.
        const http::verb method = parser.get().method();
        const bool post_page = takes_post(route(parser.get().target()).page);
        if (!ec && method != http::verb::get && method != http::verb::head &&
            !(method == http::verb::post && post_page)) {
            Response r = error_page(405);
            r.fields.emplace_back("Allow", post_page ? "GET, HEAD, POST" : "GET, HEAD");
            stream.expires_after(timeout);
            co_await send(stream, std::move(r), false, false, false, ec);
            if (!ec)
                co_await linger(stream, timeout);
            break;
        }
        if (!ec && method != http::verb::post) {
            // Beast checks a Content-Length only against the limit at the header's end.
            parser.body_limit(0);
            if (parser.chunked() || parser.content_length().value_or(0) > 0)
                ec = http::error::body_limit;
        }
        if (!ec && method == http::verb::post) {
            if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
                http::response<http::empty_body> go_on{http::status::continue_, 11};
                co_await http::async_write(stream, go_on,
                                           asio::redirect_error(asio::use_awaitable, ec));
            }
        }
        if (!ec)
            co_await http::async_read(stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
        if (ec == beast::error::timeout || ec == asio::error::connection_reset ||
            ec == asio::error::eof)
            break;
        if (ec) {
            int status = 400;
            if (ec == http::error::header_limit)
                status = 431;
            else if (ec == http::error::body_limit)
                status = 413;
            stream.expires_after(timeout);
            co_await send(stream, error_page(status), false, false, false, ec);
            if (!ec)
                co_await linger(stream, timeout);
            break;
        }
        auto& req = parser.get();
        const bool keep_alive = req.keep_alive();
        const bool head = req.method() == http::verb::head;
        const bool gzip_ok = accepts_gzip(req[http::field::accept_encoding]);
        stream.expires_after(timeout);
        Request request{std::string(req.method_string()),
                        std::string(req.target()),
                        std::string(req[http::field::if_none_match]),
                        std::move(req.body()),
                        std::string(req[http::field::content_type]),
                        std::string(req[http::field::origin]),
                        std::string(req[http::field::cookie])};
        // The page is built on the pool; the session resumes on the event loop (its own
        // executor) when it is ready. The deadline is not running meanwhile: a page
        // takes what SQLite takes (its busy timeout bounds a wait for a lock).
        Response r =
            co_await asio::co_spawn(pool, build(site, std::move(request)), asio::use_awaitable);
        stream.expires_after(timeout);
        // A login mail and the like, once the answer is out (site.hpp).
        auto deferred = std::move(r.deferred);
        co_await send(stream, std::move(r), head, keep_alive, gzip_ok, ec);
        // On the pool too: queueing a mail (qmail-queue) must not hold the event loop.
        if (deferred)
            asio::post(pool, [work = std::move(deferred)] {
                try {
                    work();
                } catch (const std::exception& e) {
                    std::cerr << "ezmlm-webarchive: " << e.what() << "\n";
                }
            });
        if (ec || !keep_alive)
            break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, const Site& site, asio::thread_pool& pool,
                             size_t& open) {
    for (;;) {
        beast::error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted)
            co_return;
        if (ec)
            continue; // out of descriptors for a moment, or a client gone before accept
        if (open >= max_connections) {
            socket.close(ec);
            continue;
        }
        ++open;
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), site, pool, open),
                       asio::detached);
    }
}

} // namespace

std::string gzip(std::string_view body) {
    z_stream z{};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return std::string(body);
    std::string out(deflateBound(&z, static_cast<uLong>(body.size())) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    z.avail_in = static_cast<uInt>(body.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? out : std::string(body);
}

Status serve(const Site& site) {
    const auto& config = site.config();
    // Declared before the io_context: the sessions' frames, destroyed with it, count down.
    size_t open = 0;
    // Each page opens its own read-only connection, so threads share no connection; a
    // SQLite built without thread support would still share its global state.
    const unsigned threads = sqlite3_threadsafe() ? std::max(1u, config.threads) : 1u;
    try {
        // Declared before the io_context, so that it outlives it whatever happens.
        asio::thread_pool pool(threads);
        asio::io_context io(1);
        beast::error_code ec;
        const auto address = asio::ip::make_address(config.address, ec);
        if (ec)
            return fail(perm("5.3.5", "--listen: not an IP address: " + config.address));
        tcp::acceptor acceptor(io);
        const tcp::endpoint endpoint(address, config.port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(asio::socket_base::max_listen_connections);
        asio::signal_set signals(io, SIGTERM, SIGINT);
        signals.async_wait([&](const beast::error_code&, int) {
            acceptor.close();
            io.stop();
        });
        asio::co_spawn(io, accept(acceptor, site, pool, open), asio::detached);
        io.run();
        // Pages still being built finish on the pool (each holds only its own copy of
        // its request); their completions go to the stopped io_context and are dropped
        // with it.
        pool.join();
    } catch (const boost::system::system_error& e) {
        return fail(temp("4.3.0", "cannot listen on " + config.address + ":" +
                                      std::to_string(config.port) + ": " + e.code().message()));
    }
    return {};
}

} // namespace qm::web::server

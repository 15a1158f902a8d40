#include "qm/remote/client.hpp"

#include "qm/address.hpp"
#include "qm/control.hpp"
#include "qm/fd.hpp"
#include "qm/remote/body.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <list>
#include <optional>

namespace qm::remote {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

Result<ClientConfig> load_client_config() {
    ClientConfig c;
    auto helo = control::read_line_or_me("helohost");
    if (!helo)
        return fail(helo.error());
    c.helohost = *helo;
    auto tc = control::read_int_or("timeoutconnect", 60);
    if (!tc)
        return fail(tc.error());
    auto tr = control::read_int_or("timeoutremote", 1200);
    if (!tr)
        return fail(tr.error());
    c.timeout_connect = std::chrono::seconds(std::max(1L, *tc));
    c.timeout_remote = std::chrono::seconds(std::max(1L, *tr));
    auto routes = control::read_lines("smtproutes");
    if (!routes)
        return fail(routes.error());
    c.routes.set(*routes);
    auto dns = load_dns_config();
    if (!dns)
        return fail(dns.error());
    c.dns = std::move(*dns);
    return c;
}

namespace {

// Runs f() on the pool and completes on ex (the caller's loop). Not a coroutine itself,
// and the callers name the function object first: g++ 12 mishandles lambda temporaries
// inside co_await expressions (they were destroyed twice).
template <class T, class F>
auto off_loop(asio::thread_pool& pool, asio::any_io_executor ex, F f) {
    return asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
        [&pool, ex](auto handler, F fn) {
            asio::post(pool, [ex, fn = std::move(fn), handler = std::move(handler)]() mutable {
                T result = fn();
                asio::post(ex,
                           [handler = std::move(handler), result = std::move(result)]() mutable {
                               std::move(handler)(std::move(result));
                           });
            });
        },
        asio::use_awaitable, std::move(f));
}

struct Reply {
    int code = 0;
    std::string text; // every line, CRs dropped, joined by '\n', no final newline
};

// The EHLO keywords we act on.
struct Extensions {
    bool pipelining = false;
    bool starttls = false;
};

// One SMTP connection: plain, or TLS after STARTTLS. Every read and write is bounded by
// the timeout; a timeout or a closed connection makes the operation report failure.
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

    // STARTTLS was answered 220: the handshake, without certificate verification (see
    // Client::Impl). The server name goes in SNI.
    awaitable<bool> start_tls(asio::ssl::context& ctx, const std::string& server_name) {
        in_.clear(); // nothing sent in the clear before the handshake counts
        tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(sock_, ctx);
        if (!server_name.empty() && !ip_literal(server_name))
            ::SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
        arm();
        auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
        timer_.cancel();
        co_return !ec;
    }

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
            if (in_.size() > max_line)
                co_return std::nullopt;
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
                co_return std::nullopt;
            in_.append(buf, n);
        }
    }

    tcp::socket sock_;
    std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
    asio::steady_timer timer_;
    std::chrono::seconds timeout_;
    std::string in_;
};

std::string said(const Reply& r) {
    return r.text.empty() ? std::string() : "Remote host said: " + r.text + "\n";
}

bool has_line_break(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

Extensions parse_ehlo(const Reply& r) {
    Extensions e;
    size_t pos = 0;
    bool first = true;
    while (pos <= r.text.size()) {
        size_t end = r.text.find('\n', pos);
        if (end == std::string::npos)
            end = r.text.size();
        std::string_view line(r.text.data() + pos, end - pos);
        pos = end + 1;
        if (first) { // the greeting line names the server
            first = false;
            continue;
        }
        if (line.size() < 4)
            continue;
        std::string word;
        for (char c : line.substr(4)) {
            if (c == ' ')
                break;
            word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        if (word == "PIPELINING")
            e.pipelining = true;
        else if (word == "STARTTLS")
            e.starttls = true;
    }
    return e;
}

// What one recipient's RCPT got: nothing yet, accepted, or rejected with a text.
struct RcptState {
    char letter = 0; // 0 no reply, 'r' accepted, 'h' permanent, 's' temporary
    std::string text;
};

// qmail-rspawn's folding: a rejected recipient keeps its own report; an accepted or
// unanswered one gets the message's.
std::vector<Report> fold(const std::vector<RcptState>& rcpts, char letter,
                         const std::string& text) {
    std::vector<Report> out;
    out.reserve(rcpts.size());
    for (const auto& r : rcpts) {
        if (r.letter == 'h' || r.letter == 's')
            out.push_back({r.letter == 'h' ? 'D' : 'Z', r.text + (letter == 'K' ? "" : text)});
        else
            out.push_back({letter, text});
    }
    return out;
}

// done_reusable: the transaction succeeded and the connection may carry another one.
enum class SessionEnd { done, done_reusable, tls_failed };

// An idle connection's end: QUIT (the reply is not awaited, as qmail does) and close.
awaitable<void> say_goodbye(std::unique_ptr<Conn> c) {
    co_await c->write("QUIT\r\n");
    c->close();
}

// How long a connection waits for the next message to the same host.
constexpr std::chrono::seconds idle_limit{5};
constexpr size_t max_idle = 32;

} // namespace

struct Client::Impl {
    Impl(asio::any_io_executor e, ClientConfig c)
        : ex(std::move(e))
        , cfg(std::move(c))
        , tls(asio::ssl::context::tls_client)
        , ipme(local_addresses()) {
        // Opportunistic TLS (RFC 7435): encryption against passive eavesdropping only.
        // The certificate is NOT verified: MX names are not authenticated without
        // DANE or MTA-STS, and refusing unverifiable peers would stop mail to most of the
        // Internet. The delivery report says so ("certificate not verified").
        tls.set_verify_mode(asio::ssl::verify_none);
        tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3);
    }

    awaitable<std::vector<Report>> deliver(Job job);
    awaitable<SessionEnd> session(Conn& c, const std::string& ip, const std::string& name,
                                  const Job& job, int fd, bool try_tls, bool reused,
                                  std::vector<Report>& out);

    // Connection reuse: after a successful transaction the connection waits idle_limit
    // for another message to the same address and port; the next one starts with RSET,
    // so a connection the server dropped meanwhile costs only a fresh connect.
    struct Idle {
        std::string key; // "ip port"
        std::unique_ptr<Conn> conn;
        std::unique_ptr<asio::steady_timer> timer;
        unsigned long id = 0;
    };
    std::list<Idle> idle;
    unsigned long idle_ids = 0;

    void park(const std::string& key, std::unique_ptr<Conn> c) {
        if (idle.size() >= max_idle) {
            asio::co_spawn(ex, say_goodbye(std::move(idle.front().conn)), asio::detached);
            idle.pop_front();
        }
        const unsigned long id = ++idle_ids;
        auto timer = std::make_unique<asio::steady_timer>(ex, idle_limit);
        timer->async_wait([this, id](boost::system::error_code ec) {
            if (ec)
                return;
            for (auto it = idle.begin(); it != idle.end(); ++it)
                if (it->id == id) {
                    asio::co_spawn(ex, say_goodbye(std::move(it->conn)), asio::detached);
                    idle.erase(it);
                    return;
                }
        });
        idle.push_back({key, std::move(c), std::move(timer), id});
    }

    std::unique_ptr<Conn> take(const std::string& key) {
        for (auto it = idle.begin(); it != idle.end(); ++it)
            if (it->key == key) {
                auto c = std::move(it->conn);
                idle.erase(it); // the timer goes with it: its wait is cancelled
                return c;
            }
        return nullptr;
    }

    asio::any_io_executor ex;
    ClientConfig cfg;
    asio::ssl::context tls;
    std::vector<asio::ip::address> ipme;
    asio::thread_pool dns_pool{4}; // c-ares lookups block: at most 4 at once
};

Client::Client(asio::any_io_executor ex, ClientConfig cfg)
    : impl_(std::make_unique<Impl>(std::move(ex), std::move(cfg))) {}

Client::~Client() {
    impl_->dns_pool.join();
    for (auto& i : impl_->idle)
        i.conn->close();
}

awaitable<std::vector<Report>> Client::deliver(Job job) {
    co_return co_await impl_->deliver(std::move(job));
}

awaitable<std::vector<Report>> Client::Impl::deliver(Job job) {
    const size_t n = job.recipients.size();
    auto all = [n](char letter, std::string text) {
        return std::vector<Report>(n, Report{letter, std::move(text)});
    };
    if (has_line_break(job.sender))
        co_return all('D', "Sender address contains a line break. (#5.1.7)\n");
    UniqueFd mess(::open(job.mess_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!mess)
        co_return all('Z', "Unable to open message file. (#4.3.0)\n");

    // Where to connect: an smtproutes relay (its A/AAAA, no local-MX rule) or the MXes.
    const auto route = cfg.routes.lookup(job.domain);
    const unsigned short port = route ? route->port : 25;
    const bool relay = route && !route->host.empty();
    const DnsConfig dns = cfg.dns;
    const std::string target = relay ? route->host : job.domain;
    auto lookup = [dns, target, relay]() -> Result<std::vector<MxAddress>> {
        if (!relay)
            return resolve_mx(dns, target);
        auto ips = resolve_host(dns, target);
        if (!ips)
            return fail(ips.error());
        std::vector<MxAddress> out;
        for (const auto& ip : *ips)
            out.push_back({ip, 0, target});
        return out;
    };
    auto resolved =
        co_await off_loop<Result<std::vector<MxAddress>>>(dns_pool, ex, std::move(lookup));
    if (!resolved)
        co_return all(resolved.error().permanent() ? 'D' : 'Z', resolved.error().with_dsn() + "\n");
    std::vector<MxAddress> mxs = std::move(*resolved);
    if (mxs.empty())
        co_return all('D', "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n");
    if (!relay) {
        // qmail's local-MX rule: only MXes better than our own best preference are used.
        unsigned prefme = ~0u;
        for (const auto& m : mxs)
            if (std::find(ipme.begin(), ipme.end(), m.ip) != ipme.end())
                prefme = std::min(prefme, m.preference);
        std::erase_if(mxs, [prefme](const MxAddress& m) { return m.preference >= prefme; });
        if (mxs.empty())
            co_return all('D', "Sorry. Although I'm listed as a best-preference MX or A for that "
                               "host,\nit isn't in my control/locals file, so I don't treat it as "
                               "local. (#5.4.6)\n");
    }

    std::vector<Report> out;
    for (const auto& m : mxs) {
        const std::string key = m.ip.to_string() + " " + std::to_string(port);
        if (auto c = take(key)) {
            bool alive = co_await c->write("RSET\r\n");
            if (alive) {
                auto r = co_await c->read_reply();
                alive = r && r->code == 250;
            }
            if (alive) {
                const SessionEnd end = co_await session(*c, m.ip.to_string(), m.host, job,
                                                        mess.get(), false, true, out);
                if (end == SessionEnd::done_reusable)
                    park(key, std::move(c));
                else
                    c->close();
                co_return out;
            }
            c->close();
        }
        for (bool try_tls = cfg.starttls;;) {
            tcp::socket sock(ex);
            asio::steady_timer timer(ex, cfg.timeout_connect);
            timer.async_wait([&sock](boost::system::error_code ec) {
                if (!ec) {
                    boost::system::error_code ignored;
                    sock.close(ignored);
                }
            });
            auto [ec] = co_await sock.async_connect(tcp::endpoint(m.ip, port), use_tuple);
            timer.cancel();
            if (ec || !sock.is_open())
                break; // the next address
            auto c = std::make_unique<Conn>(std::move(sock), cfg.timeout_remote);
            const SessionEnd end = co_await session(*c, m.ip.to_string(), m.host, job, mess.get(),
                                                    try_tls, false, out);
            if (end == SessionEnd::done_reusable) {
                park(key, std::move(c));
                co_return out;
            }
            c->close();
            if (end == SessionEnd::tls_failed) {
                try_tls = false; // the same host again, in the clear
                continue;
            }
            co_return out;
        }
    }
    co_return all('Z', "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n");
}

awaitable<SessionEnd> Client::Impl::session(Conn& c, const std::string& ip, const std::string& name,
                                            const Job& job, int fd, bool try_tls, bool reused,
                                            std::vector<Report>& out) {
    std::vector<RcptState> rcpts(job.recipients.size());
    bool critical = false; // the final dot was sent: a lost reply may mean a duplicate
    auto finish = [&](char letter, std::string text) {
        out = fold(rcpts, letter, text);
        return SessionEnd::done;
    };
    auto died = [&] {
        return finish('Z', "Connected to " + ip + " but connection died. " +
                               (critical ? "Possible duplicate! " : "") + "(#4.4.2)\n");
    };
    auto quit = [&](char letter, const std::string& what, const Reply& r) -> awaitable<SessionEnd> {
        co_await c.write("QUIT\r\n"); // qmail does not wait for the reply
        co_return finish(letter, what + "\n" + said(r));
    };

    Extensions& ext = c.ext;
    if (!reused) {
        auto greeting = co_await c.read_reply();
        if (!greeting)
            co_return died();
        if (greeting->code != 220)
            co_return co_await quit('Z', "Connected to " + ip + " but greeting failed.", *greeting);

        auto hello = [&]() -> awaitable<std::optional<Reply>> {
            if (!co_await c.write("EHLO " + cfg.helohost + "\r\n"))
                co_return std::nullopt;
            auto r = co_await c.read_reply();
            if (!r)
                co_return std::nullopt;
            if (r->code >= 500 && r->code < 600) { // an old server: HELO, no extensions
                if (!co_await c.write("HELO " + cfg.helohost + "\r\n"))
                    co_return std::nullopt;
                r = co_await c.read_reply();
                ext = {};
            } else if (r->code == 250) {
                ext = parse_ehlo(*r);
            }
            co_return r;
        };
        auto hr = co_await hello();
        if (!hr)
            co_return died();
        if (hr->code != 250)
            co_return co_await quit('Z', "Connected to " + ip + " but my name was rejected.", *hr);

        if (ext.starttls && try_tls) {
            if (!co_await c.write("STARTTLS\r\n"))
                co_return died();
            auto r = co_await c.read_reply();
            if (!r)
                co_return died();
            if (r->code == 220) {
                if (!co_await c.start_tls(tls, name))
                    co_return SessionEnd::tls_failed;
                c.tls_note = "TLS: " + c.tls_description() + ", certificate not verified.\n";
                hr = co_await hello();
                if (!hr)
                    co_return died();
                if (hr->code != 250)
                    co_return co_await quit(
                        'Z', "Connected to " + ip + " but my name was rejected.", *hr);
            }
            // Any other reply: carry on in the clear, as opportunistic TLS does.
        }
    }

    // MAIL and every RCPT; in one write when the server pipelines.
    // quote_for_header: "" and "#@[]" (bounces, double bounces) go out unquoted.
    const std::string mail = "MAIL FROM:<" + address::quote_for_header(job.sender) + ">\r\n";
    std::vector<std::string> rcpt_cmds;
    for (size_t i = 0; i < job.recipients.size(); ++i) {
        if (has_line_break(job.recipients[i])) {
            rcpts[i] = {'h', "Recipient address contains a line break. (#5.1.3)\n"};
            rcpt_cmds.emplace_back();
        } else {
            rcpt_cmds.push_back("RCPT TO:<" + address::quote(job.recipients[i]) + ">\r\n");
        }
    }
    std::optional<Reply> mail_reply;
    auto rcpt_reply = [&](size_t i, const Reply& r) {
        if (r.code >= 500)
            rcpts[i] = {'h', ip + " does not like recipient.\n" + said(r)};
        else if (r.code >= 400)
            rcpts[i] = {'s', ip + " does not like recipient.\n" + said(r)};
        else
            rcpts[i] = {'r', ""};
    };
    if (ext.pipelining) {
        std::string batch = mail;
        for (const auto& cmd : rcpt_cmds)
            batch += cmd;
        if (!co_await c.write(batch))
            co_return died();
        mail_reply = co_await c.read_reply();
        if (!mail_reply)
            co_return died();
        for (size_t i = 0; i < rcpt_cmds.size(); ++i) {
            if (rcpt_cmds[i].empty())
                continue;
            auto r = co_await c.read_reply();
            if (!r)
                co_return died();
            if (mail_reply->code < 400)
                rcpt_reply(i, *r);
        }
        if (mail_reply->code >= 400)
            co_return co_await quit(mail_reply->code >= 500 ? 'D' : 'Z',
                                    "Connected to " + ip + " but sender was rejected.",
                                    *mail_reply);
    } else {
        if (!co_await c.write(mail))
            co_return died();
        mail_reply = co_await c.read_reply();
        if (!mail_reply)
            co_return died();
        if (mail_reply->code >= 400)
            co_return co_await quit(mail_reply->code >= 500 ? 'D' : 'Z',
                                    "Connected to " + ip + " but sender was rejected.",
                                    *mail_reply);
        for (size_t i = 0; i < rcpt_cmds.size(); ++i) {
            if (rcpt_cmds[i].empty())
                continue;
            if (!co_await c.write(rcpt_cmds[i]))
                co_return died();
            auto r = co_await c.read_reply();
            if (!r)
                co_return died();
            rcpt_reply(i, *r);
        }
    }
    if (std::none_of(rcpts.begin(), rcpts.end(),
                     [](const RcptState& r) { return r.letter == 'r'; })) {
        co_await c.write("QUIT\r\n");
        co_return finish('D', "Giving up on " + ip + ".\n");
    }

    if (!co_await c.write("DATA\r\n"))
        co_return died();
    auto data = co_await c.read_reply();
    if (!data)
        co_return died();
    if (data->code >= 500)
        co_return co_await quit('D', ip + " failed on DATA command.", *data);
    if (data->code != 354)
        co_return co_await quit('Z', ip + " failed on DATA command.", *data);

    // The body, streamed from the queue file through the encoder.
    if (::lseek(fd, 0, SEEK_SET) != 0)
        co_return co_await quit('Z', "Unable to read message file. (#4.3.0)", Reply{});
    BodyEncoder enc;
    std::string wire;
    char buf[65536];
    for (;;) {
        ssize_t got = ::read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            // Nothing complete went out: dropping the connection aborts the transaction.
            c.close();
            co_return finish('Z', "Unable to read message file. (#4.3.0)\n");
        }
        if (got == 0)
            break;
        enc.feed(std::string_view(buf, static_cast<size_t>(got)), wire);
        if (wire.size() >= sizeof buf) {
            if (!co_await c.write(wire))
                co_return died();
            wire.clear();
        }
    }
    enc.finish(wire);
    critical = true;
    if (!co_await c.write(wire))
        co_return died();
    auto final_reply = co_await c.read_reply();
    if (!final_reply)
        co_return died();
    critical = false;
    if (final_reply->code >= 500)
        co_return co_await quit('D', ip + " failed after I sent the message.", *final_reply);
    if (final_reply->code >= 400)
        co_return co_await quit('Z', ip + " failed after I sent the message.", *final_reply);
    finish('K', ip + " accepted message.\n" + said(*final_reply) + c.tls_note);
    co_return SessionEnd::done_reusable; // no QUIT: the connection may carry the next message
}

} // namespace qm::remote

#include "qm/remote/client.hpp"

#include "connection.hpp"
#include "qm/address.hpp"
#include "qm/control.hpp"
#include "qm/dkim/signer.hpp"
#include "qm/fd.hpp"
#include "qm/queue/layout.hpp"
#include "qm/remote/body.hpp"
#include "qm/remote/mta_sts.hpp"
#include "qm/remote/mta_sts_fetch.hpp"
#include "qm/remote/tcpto.hpp"
#include "qmtp_session.hpp"

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
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <list>
#include <map>
#include <optional>

namespace qm::remote {

namespace {

// A control file holding a TCP port number.
Result<unsigned short> read_port(const char* name, long fallback) {
    auto port = control::read_int_or(name, fallback);
    if (!port)
        return fail(port.error());
    if (*port < 1 || *port > 65535)
        return fail(perm("5.3.5", "control/" + std::string(name) +
                                      " is not a port number: " + std::to_string(*port)));
    return static_cast<unsigned short>(*port);
}

} // namespace

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
    auto dns = dns::load_config();
    if (!dns)
        return fail(dns.error());
    c.dns = std::move(*dns);
    auto qmtp_port = read_port("qmtpport", 209);
    if (!qmtp_port)
        return fail(qmtp_port.error());
    c.qmtp_port = *qmtp_port;
    auto qmtp_routes = control::read_lines("qmtproutes");
    if (!qmtp_routes)
        return fail(qmtp_routes.error());
    c.qmtp_routes = Routes(c.qmtp_port);
    c.qmtp_routes.set(*qmtp_routes);
    c.dkim_keys = control::path("dkimkeys");
    auto policy = control::read_text("tlspolicy");
    if (!policy)
        return fail(policy.error());
    if (*policy) {
        auto parsed = TlsPolicy::parse(**policy, control::path("tlspolicy"));
        if (!parsed)
            return fail(parsed.error());
        c.tls_policy = std::move(*parsed);
    }
    auto ca = control::read_line("tlscafile");
    if (!ca)
        return fail(ca.error());
    c.tls_ca_file = ca->value_or("");
    auto sts_port = read_port("mtastsport", 443);
    if (!sts_port)
        return fail(sts_port.error());
    c.mta_sts_port = *sts_port;
    const auto queue = queue::Layout::from_home();
    c.tcpto_path = queue.tcpto();
    c.tcpto6_path = queue.tcpto6();
    c.mta_sts_cache = queue.mtasts();
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
        else if (word == "SIZE")
            e.size = true;
        else if (word == "8BITMIME")
            e.eightbitmime = true;
    }
    return e;
}

// A report letter of this file's SMTP dialogue as a verdict.
Verdict verdict(char letter, std::string text) {
    return {static_cast<Verdict::Kind>(letter), std::move(text)};
}

// done_reusable: the transaction succeeded and the connection may carry another one.
// stale: a parked connection did not take its RSET (the server closed it while it was
// idle); nothing was delivered on it, and the caller connects afresh.
// tls_refused: the TLS this mail requires could not be had at this host (the session's
// outcome says why); the next MX is tried, never the same host in the clear.
enum class SessionEnd { done, done_reusable, tls_failed, tls_refused, stale };

// What TLS the mail needs from one MX host: control/tlspolicy's level, with "dane",
// "dane-only" and "sts" resolved through the host's TLSA records and the domain's MTA-STS
// policy.
struct TlsDemand {
    TlsLevel level = TlsLevel::may; // none, may, encrypt, dane (records below) or verify
    std::vector<dns::Tlsa> tlsa;
    std::string refusal; // not empty: this host cannot be used, and why
    // "verify" demanded by an MTA-STS policy in enforce mode: its name for messages ("MTA-STS
    // policy ID of D"); TLS 1.2 at least (RFC 8461 4.2).
    std::string sts_policy;
    // An MTA-STS policy in testing mode: the certificate is checked as "verify" would, and
    // what it would have refused is only noted (in note).
    bool sts_testing = false;
    std::string note; // for the delivery report: what MTA-STS found
    [[nodiscard]] std::string label() const {
        return sts_policy.empty() ? std::string(tls_level_name(level)) : sts_policy;
    }
    [[nodiscard]] bool required() const {
        return level == TlsLevel::encrypt || level == TlsLevel::dane || level == TlsLevel::verify;
    }
    // What a parked connection must have proved to carry this mail ("" for anything).
    [[nodiscard]] std::string proof(const std::string& host) const {
        return required() ? std::string(tls_level_name(level)) + " " + host : std::string();
    }
};

// What the domain's MTA-STS policy says for one delivery: the policy in force (none when
// the domain has none, or it could not be had and none is cached), and what went wrong
// on the way, for the delivery report.
struct StsFinding {
    std::optional<sts::Policy> policy;
    std::string note;
};

// A host that DANE left at "may" under level "sts": the domain's MTA-STS policy decides.
void apply_sts(TlsDemand& d, const std::string& domain, const std::string& host,
               const StsFinding& found) {
    d.note = found.note;
    if (!found.policy || found.policy->mode == sts::Mode::none)
        return;
    const sts::Policy& p = *found.policy;
    const std::string name = "MTA-STS policy " + p.id + " of " + domain;
    if (!p.names(host)) {
        if (p.mode == sts::Mode::enforce)
            d.refusal = host + " is not among the MX hosts the " + name + " names. (#4.7.5)";
        else
            d.note += "MTA-STS: " + host + " is not among the MX hosts the " + name +
                      " names (testing mode: delivered anyway).\n";
        return;
    }
    if (p.mode == sts::Mode::enforce) {
        d.level = TlsLevel::verify;
        d.sts_policy = name;
    } else {
        d.sts_testing = true;
    }
}

// The DNSSEC facts DANE needs for one delivery (RFC 7672 2.2): whether the MX answer was
// validated, and each MX host's TLSA answer.
struct DaneFacts {
    std::string failure; // the MX check itself failed (temporarily)
    bool mx_secure = false;
    std::map<std::string, Result<dns::TlsaAnswer>> tlsa;
};

TlsDemand demand_for(TlsLevel level, const std::string& domain, const std::string& host,
                     unsigned short port, const DaneFacts& dane) {
    TlsDemand d;
    d.level = level;
    if (level != TlsLevel::dane && level != TlsLevel::dane_only && level != TlsLevel::sts)
        return d;
    if (level == TlsLevel::sts)
        d.level = TlsLevel::dane; // DANE first (RFC 8461 2); MTA-STS where it ends at "may"
    const bool only = level == TlsLevel::dane_only;
    auto without_dane = [&](std::string why) {
        if (only)
            d.refusal = "DANE is required for " + domain + " but " + why + ". (#4.7.5)";
        else
            d.level = TlsLevel::may; // opportunistic DANE: nothing to authenticate with
        return d;
    };
    if (!dane.failure.empty()) {
        d.refusal = dane.failure;
        return d;
    }
    if (!dane.mx_secure)
        return without_dane("its MX records are not DNSSEC-validated");
    const auto it = dane.tlsa.find(host);
    if (it == dane.tlsa.end() || !it->second) {
        // RFC 7672 2.2.1: a host whose TLSA lookup failed is skipped, not used in the clear.
        d.refusal = "The TLSA lookup for _" + std::to_string(port) + "._tcp." + host +
                    " failed; the host is skipped. (#4.7.5)";
        return d;
    }
    const dns::TlsaAnswer& answer = *it->second;
    if (!answer.authenticated || answer.records.empty())
        return without_dane("_" + std::to_string(port) + "._tcp." + host +
                            " has no DNSSEC-validated TLSA records");
    // DANE-TA(2) and DANE-EE(3) only (RFC 7672 3.1.3); records of other kinds still mean
    // TLS is required (RFC 7672 2.2), with nothing to check the certificate against.
    for (const auto& r : answer.records)
        if ((r.usage == 2 || r.usage == 3) && r.selector <= 1 && r.matching <= 2)
            d.tlsa.push_back(r);
    d.level = d.tlsa.empty() ? TlsLevel::encrypt : TlsLevel::dane;
    return d;
}

// How the body went: not at all (the queue file could not be read), cut short before its
// final dot, lost with the final dot in the last write, or sent.
enum class BodySent { unreadable, cut_short, end_lost, sent };

// An idle connection's end: QUIT (the reply is not awaited, as qmail does) and close.
// QMTP has no QUIT: its client just closes.
awaitable<void> say_goodbye(std::unique_ptr<Conn> c, bool smtp) {
    if (smtp)
        co_await c->write("QUIT\r\n");
    c->close();
}

// The queue file being delivered and what MAIL FROM says about it.
struct StoredMessage {
    int fd = -1;
    BodyFacts facts;
    // The body as it goes on the wire (dot-stuffed, CRLF, the final dot), when an earlier
    // copy of the same file made it; else null, and it is streamed from fd.
    std::shared_ptr<const std::string> wire;
    std::optional<struct stat> identity; // the file's, to remember the wire by
    // What goes in front of the stored message: its DKIM signatures (empty: none). facts
    // count it.
    std::shared_ptr<const std::string> prefix;
};

struct ConnectAttempt {
    std::optional<tcp::socket> sock; // set when connected
    bool timed_out = false;          // no answer within the limit (not a refusal)
};

// One connect bounded by limit. The timer's handler owns the socket's state, so that a
// handler already queued when the connect completes finds it alive.
awaitable<ConnectAttempt> connect_to(asio::any_io_executor ex, tcp::endpoint to,
                                     std::chrono::seconds limit) {
    struct Pending {
        tcp::socket sock;
        bool timed_out = false;
    };
    auto p = std::make_shared<Pending>(Pending{tcp::socket(ex)});
    asio::steady_timer timer(ex, limit);
    timer.async_wait([p](boost::system::error_code ec) {
        if (!ec) {
            p->timed_out = true;
            boost::system::error_code ignored;
            p->sock.close(ignored);
        }
    });
    auto [ec] = co_await p->sock.async_connect(to, use_tuple);
    timer.cancel();
    ConnectAttempt a;
    a.timed_out = p->timed_out || ec == asio::error::timed_out;
    if (!ec && !p->timed_out && p->sock.is_open())
        a.sock.emplace(std::move(p->sock));
    co_return a;
}

// How long a connection waits for the next message to the same host.
constexpr std::chrono::seconds idle_limit{5};
constexpr size_t max_idle = 32;

} // namespace

struct Client::Impl {
    Impl(asio::any_io_executor e, ClientConfig c)
        : ex(std::move(e))
        , cfg(std::move(c))
        , downed(cfg.tcpto_path, cfg.tcpto6_path, static_cast<unsigned>(::getpid())) {}

    // Made on first use, not at start: qmail-remote, one process per delivery, pays for
    // OpenSSL's setup, this host's addresses and the lookup threads only when the delivery
    // needs them.
    asio::ssl::context& tls_context() {
        if (!tls) {
            // Opportunistic TLS (RFC 7435) unless control/tlspolicy asks for more: the
            // handshake never stops on the certificate (verify_none); OpenSSL still checks
            // it, against the CAs and against DANE's TLSA records where a connection has
            // them, and the session reads the result when the policy requires one. MX
            // names are not authenticated without DNSSEC or MTA-STS, and refusing
            // unverifiable peers by default would stop mail to most of the Internet; the
            // delivery report says "certificate not verified".
            tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
            tls->set_verify_mode(asio::ssl::verify_none);
            tls->set_options(asio::ssl::context::default_workarounds |
                             asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3);
            boost::system::error_code ignored; // no CAs: "verify" then fails, as it should
            if (cfg.tls_ca_file.empty())
                tls->set_default_verify_paths(ignored);
            else
                tls->load_verify_file(cfg.tls_ca_file, ignored);
            ::SSL_CTX_dane_enable(tls->native_handle());
        }
        return *tls;
    }
    // For MTA-STS's HTTPS: unlike SMTP's opportunistic context, the handshake itself fails
    // on a certificate that does not verify.
    asio::ssl::context& sts_tls_context() {
        if (!sts_tls) {
            sts_tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
            sts_tls->set_verify_mode(asio::ssl::verify_peer);
            sts_tls->set_options(asio::ssl::context::default_workarounds |
                                 asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3);
            boost::system::error_code ignored; // no CAs: no policy can be fetched
            if (cfg.tls_ca_file.empty())
                sts_tls->set_default_verify_paths(ignored);
            else
                sts_tls->load_verify_file(cfg.tls_ca_file, ignored);
        }
        return *sts_tls;
    }
    awaitable<StsFinding> sts_policy(const std::string& domain);

    const std::vector<asio::ip::address>& my_addresses() {
        if (!ipme)
            ipme = dns::local_addresses();
        return *ipme;
    }
    asio::thread_pool& blocking_pool() {
        if (!dns_pool)
            dns_pool = std::make_unique<asio::thread_pool>(4); // c-ares lookups block
        return *dns_pool;
    }

    // The facts of a message file scanned lately, by its identity: a list's fan-out sends
    // one message in many transactions (each VERP copy its own), and a queued message's
    // file never changes, so one scan serves them all. The size and the change time keep
    // a recycled inode number from passing for the old file.
    // Its wire form too, for a file of at most wire_cache_limit bytes: the encoding is
    // then done once, not once per copy (at most 8 x 2 x 64 KiB in memory).
    struct ScannedFile {
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = -1;
        struct timespec changed {};
        BodyFacts facts;
        std::shared_ptr<const std::string> wire;
        std::shared_ptr<const std::string> prefix; // DKIM signatures
    };
    static constexpr off_t wire_cache_limit = 65536;
    std::array<ScannedFile, 8> scanned{};
    size_t next_scanned = 0;

    ScannedFile* scanned_file(const struct stat& st) {
        for (auto& f : scanned)
            if (f.size == st.st_size && f.ino == st.st_ino && f.dev == st.st_dev &&
                f.changed.tv_sec == st.st_ctim.tv_sec && f.changed.tv_nsec == st.st_ctim.tv_nsec)
                return &f;
        return nullptr;
    }
    void remember_scan(const struct stat& st, const BodyFacts& facts,
                       std::shared_ptr<const std::string> prefix) {
        scanned[next_scanned] = {st.st_dev, st.st_ino, st.st_size,       st.st_ctim,
                                 facts,     nullptr,   std::move(prefix)};
        next_scanned = (next_scanned + 1) % scanned.size();
    }
    void remember_wire(const struct stat& st, std::string wire) {
        if (st.st_size > wire_cache_limit)
            return;
        if (ScannedFile* f = scanned_file(st))
            f->wire = std::make_shared<const std::string>(std::move(wire));
    }

    // control/dkimkeys and its keys, read at the first delivery and kept; a table or key
    // that cannot be used is read again at the next one (the admin may have fixed it).
    std::shared_ptr<const dkim::Signer> signer;
    bool signer_loaded = false;
    Result<std::shared_ptr<const dkim::Signer>> dkim_signer() {
        if (signer_loaded || cfg.dkim_keys.empty())
            return signer;
        auto loaded = dkim::Signer::load(dirname_of(cfg.dkim_keys));
        if (!loaded)
            return fail(loaded.error());
        if (!loaded->empty())
            signer = std::make_shared<const dkim::Signer>(std::move(*loaded));
        signer_loaded = true;
        return signer;
    }

    awaitable<Outcome> deliver(Job job);
    awaitable<SessionEnd> session(Conn& c, const std::string& ip, const std::string& name,
                                  const Job& job, const StoredMessage& stored, bool try_tls,
                                  const TlsDemand& demand, bool reused, Outcome& out);
    awaitable<BodySent> send_body(Conn& c, const StoredMessage& stored);

    // Connection reuse: after a successful transaction the connection waits idle_limit
    // for another message to the same address and port; the next one starts with RSET,
    // so a connection the server dropped meanwhile costs only a fresh connect.
    struct Idle {
        std::string key; // "ip port" for SMTP, "qmtp ip port" for QMTP
        std::unique_ptr<Conn> conn;
        std::unique_ptr<asio::steady_timer> timer;
        unsigned long id = 0;
    };
    std::list<Idle> idle;
    unsigned long idle_ids = 0;
    static std::string qmtp_key(const std::string& ip, unsigned short port) {
        return "qmtp " + ip + " " + std::to_string(port);
    }
    static bool speaks_smtp(const std::string& key) { return !key.starts_with("qmtp "); }

    void park(const std::string& key, std::unique_ptr<Conn> c) {
        if (!cfg.reuse_connections) {
            asio::co_spawn(ex, say_goodbye(std::move(c), speaks_smtp(key)), asio::detached);
            return;
        }
        if (idle.size() >= max_idle) {
            asio::co_spawn(ex,
                           say_goodbye(std::move(idle.front().conn), speaks_smtp(idle.front().key)),
                           asio::detached);
            idle.pop_front();
        }
        const unsigned long id = ++idle_ids;
        auto timer = std::make_unique<asio::steady_timer>(ex, idle_limit);
        timer->async_wait([this, id](boost::system::error_code ec) {
            if (ec)
                return;
            for (auto it = idle.begin(); it != idle.end(); ++it)
                if (it->id == id) {
                    asio::co_spawn(ex, say_goodbye(std::move(it->conn), speaks_smtp(it->key)),
                                   asio::detached);
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
    std::unique_ptr<asio::ssl::context> tls;
    std::optional<std::vector<asio::ip::address>> ipme;
    DownedHosts downed; // lock/tcpto, lock/tcpto6
    std::unique_ptr<asio::ssl::context> sts_tls;
    sts::PolicyCache sts_cache{cfg.mta_sts_cache}; // after cfg, which it is made from
    std::unique_ptr<asio::thread_pool> dns_pool;   // at most 4 blocking waits at once
};

Client::Client(asio::any_io_executor ex, ClientConfig cfg)
    : impl_(std::make_unique<Impl>(std::move(ex), std::move(cfg))) {}

Client::~Client() {
    if (impl_->dns_pool)
        impl_->dns_pool->join();
    for (auto& i : impl_->idle)
        i.conn->close();
}

awaitable<Outcome> Client::deliver(Job job) {
    co_return co_await impl_->deliver(std::move(job));
}

// RFC 8461 5: the TXT record's id says whether the policy cached for the domain is still
// the one published; a new id means a fetch. A domain without the record, or whose
// policy cannot be fetched or read, keeps the cached policy until its max_age runs out,
// and without one is treated as having none (mail goes as "may"). Nothing here defers a
// delivery: a policy that cannot be had protects nothing and must not stop mail.
awaitable<StsFinding> Client::Impl::sts_policy(const std::string& domain) {
    StsFinding found;
    const std::time_t now = std::time(nullptr);
    const dns::Config dns = cfg.dns;
    auto txt_lookup = [dns, domain]() { return dns::resolve_txt(dns, "_mta-sts." + domain); };
    const auto txt = co_await off_loop<Result<std::vector<std::string>>>(blocking_pool(), ex,
                                                                         std::move(txt_lookup));
    found.policy = sts_cache.find(domain, now);
    const std::string kept =
        found.policy ? " The policy fetched earlier (id " + found.policy->id + ") stays in force.\n"
                     : " Delivered as if it had none.\n";
    if (!txt) {
        found.note = "MTA-STS: the lookup of _mta-sts." + domain +
                     " failed: " + txt.error().with_dsn() + "." + kept;
        co_return found;
    }
    const auto id = sts::txt_policy_id(*txt);
    if (!id || (found.policy && found.policy->id == *id))
        co_return found;
    auto host_lookup = [dns, domain]() { return dns::resolve_host(dns, "mta-sts." + domain); };
    const auto addresses = co_await off_loop<Result<std::vector<asio::ip::address>>>(
        blocking_pool(), ex, std::move(host_lookup));
    if (!addresses) {
        found.note = "MTA-STS: the policy of " + domain + " could not be fetched: mta-sts." +
                     domain + " has no address (" + addresses.error().with_dsn() + ")." + kept;
        co_return found;
    }
    sts::FetchPlace place{domain, *addresses, cfg.mta_sts_port};
    const auto limit = std::min(cfg.timeout_remote, std::chrono::seconds(60));
    const auto text = co_await sts::fetch_policy_text(sts_tls_context(), place, limit);
    if (!text) {
        found.note = "MTA-STS: the policy of " + domain +
                     " could not be fetched: " + text.error().text + "." + kept;
        co_return found;
    }
    auto policy = sts::parse_policy(*text);
    if (!policy) {
        found.note = "MTA-STS: the policy of " + domain + " is malformed: " + policy.error().text +
                     "." + kept;
        co_return found;
    }
    policy->id = *id;
    policy->fetched = now;
    sts_cache.store(domain, *policy, *text);
    found.policy = std::move(*policy);
    co_return found;
}

awaitable<Outcome> Client::Impl::deliver(Job job) {
    const size_t n = job.recipients.size();
    auto all = [n](char letter, std::string text) {
        return Outcome{std::vector<RecipientReport>(n), verdict(letter, std::move(text))};
    };
    if (has_line_break(job.sender))
        co_return all('D', "Sender address contains a line break. (#5.1.7)\n");
    UniqueFd mess(job.message_fd >= 0 ? ::fcntl(job.message_fd, F_DUPFD_CLOEXEC, 0)
                                      : ::open(job.mess_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!mess)
        co_return all('Z', "Unable to open message file. (#4.3.0)\n");

    // Where to connect: a qmtproutes or smtproutes relay (its A/AAAA, no local-MX rule)
    // or the MXes.
    const auto qmtp_route = cfg.qmtp_routes.lookup(job.domain);
    const bool routed_qmtp = qmtp_route.has_value();
    const auto route = routed_qmtp ? qmtp_route : cfg.routes.lookup(job.domain);
    const unsigned short port = route ? route->port : 25;
    const bool relay = route && !route->host.empty();
    const dns::Config dns = cfg.dns;
    const std::string target = relay ? route->host : job.domain;
    auto lookup = [dns, target, relay]() -> Result<std::vector<dns::MxAddress>> {
        if (!relay)
            return dns::resolve_mx(dns, target);
        auto ips = dns::resolve_host(dns, target);
        if (!ips)
            return fail(ips.error());
        std::vector<dns::MxAddress> out;
        for (const auto& ip : *ips)
            out.push_back({ip, 0, target});
        return out;
    };
    // An address literal needs no resolver: answered here, not on the pool, whose two
    // hand-overs between threads cost more than the whole lookup (a route to
    // [127.0.0.1] is the common case of a smarthost on the same machine).
    // (No co_await inside a conditional expression: g++ 12 miscompiles it.)
    Result<std::vector<dns::MxAddress>> resolved = fail(temp("4.3.0", "no lookup"));
    if (dns::ip_literal(target))
        resolved = lookup();
    else
        resolved = co_await off_loop<Result<std::vector<dns::MxAddress>>>(blocking_pool(), ex,
                                                                          std::move(lookup));
    if (!resolved)
        co_return all(resolved.error().permanent() ? 'D' : 'Z', resolved.error().with_dsn() + "\n");
    std::vector<dns::MxAddress> mxs = std::move(*resolved);
    if (mxs.empty())
        co_return all('D', "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n");
    if (!relay) {
        // qmail's local-MX rule: only MXes better than our own best preference are used.
        unsigned prefme = ~0u;
        const auto& me = my_addresses();
        for (const auto& m : mxs)
            if (std::find(me.begin(), me.end(), m.ip) != me.end())
                prefme = std::min(prefme, m.preference);
        std::erase_if(mxs, [prefme](const dns::MxAddress& m) { return m.preference >= prefme; });
        if (mxs.empty())
            co_return all('D', "Sorry. Although I'm listed as a best-preference MX or A for that "
                               "host,\nit isn't in my control/locals file, so I don't treat it as "
                               "local. (#5.4.6)\n");
    }

    // MAIL FROM's SIZE= and BODY= need the whole file read once: on the pool, as the
    // loop must not wait for the disk; not again for the next copy of the same file.
    struct stat st {};
    const bool identified = ::fstat(mess.get(), &st) == 0;
    const ScannedFile* known = identified ? scanned_file(st) : nullptr;
    // With DKIM keys the whole message is read, signed, and its signatures go in front
    // of it; the facts then count them.
    struct Scanned {
        BodyFacts facts;
        std::shared_ptr<const std::string> prefix;
        std::string failure; // unreadable, or a signature could not be made
    };
    auto dkim = known ? Result<std::shared_ptr<const dkim::Signer>>(nullptr) : dkim_signer();
    if (!dkim)
        co_return all('Z', "Unable to sign the message: " + dkim.error().with_dsn() + "\n");
    auto scan = [fd = mess.get(), signer = *dkim, sender = job.sender]() -> Scanned {
        Scanned out;
        std::string whole;
        std::string buf(65536, '\0');
        for (off_t off = 0;;) {
            const ssize_t got = ::pread(fd, buf.data(), buf.size(), off);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                out.failure = "Unable to read message file. (#4.3.0)\n";
                return out;
            }
            if (got == 0)
                break;
            const std::string_view piece(buf.data(), static_cast<size_t>(got));
            out.facts.feed(piece);
            if (signer)
                whole.append(piece);
            off += got;
        }
        if (signer) {
            auto fields = signer->sign(whole, sender);
            if (!fields) {
                out.failure = "Unable to sign the message: " + fields.error().with_dsn() + "\n";
                return out;
            }
            if (!fields->empty()) {
                BodyFacts with;
                with.feed(*fields);
                with.stored_bytes += out.facts.stored_bytes;
                with.line_feeds += out.facts.line_feeds;
                with.eight_bit = out.facts.eight_bit;
                out.facts = with;
                out.prefix = std::make_shared<const std::string>(std::move(*fields));
            }
        }
        return out;
    };
    Scanned scanned_now;
    std::shared_ptr<const std::string> wire;
    if (known) {
        scanned_now.facts = known->facts;
        scanned_now.prefix = known->prefix;
        wire = known->wire;
    } else {
        scanned_now = co_await off_loop<Scanned>(blocking_pool(), ex, std::move(scan));
    }
    if (!scanned_now.failure.empty())
        co_return all('Z', scanned_now.failure);
    if (identified && !known)
        remember_scan(st, scanned_now.facts, scanned_now.prefix);
    const StoredMessage stored{mess.get(), scanned_now.facts, std::move(wire),
                               identified ? std::optional<struct stat>(st) : std::nullopt,
                               scanned_now.prefix};
    const std::string_view prefix = stored.prefix ? std::string_view(*stored.prefix) : "";
    const std::uint64_t file_bytes = stored.facts.stored_bytes - prefix.size();

    // control/tlspolicy; for DANE, the DNSSEC facts of the MX answer and of each host's
    // TLSA records, asked on the pool (the lookups block).
    const TlsLevel tls_level = cfg.tls_policy.lookup(job.domain);
    DaneFacts dane;
    if (tls_level == TlsLevel::dane || tls_level == TlsLevel::dane_only ||
        tls_level == TlsLevel::sts) {
        std::vector<std::string> hosts;
        for (const auto& m : mxs)
            if (std::find(hosts.begin(), hosts.end(), m.host) == hosts.end())
                hosts.push_back(m.host);
        auto facts = [dns, hosts, relay, domain = job.domain, port]() {
            DaneFacts f;
            // A relay named in control/smtproutes is trusted as written; an MX host name
            // only when DNSSEC vouches for the MX answer.
            auto secure = relay ? Result<bool>(true) : dns::mx_authenticated(dns, domain);
            if (!secure) {
                f.failure = "The DNSSEC check of " + domain +
                            "'s MX records failed: " + secure.error().with_dsn();
                return f;
            }
            f.mx_secure = *secure;
            if (f.mx_secure)
                for (const auto& h : hosts)
                    f.tlsa.emplace(h, dns::resolve_tlsa(dns, h, port));
            return f;
        };
        dane = co_await off_loop<DaneFacts>(blocking_pool(), ex, std::move(facts));
    }
    // MTA-STS speaks of a domain's MX hosts: not of a relay named in control/smtproutes.
    StsFinding sts_found;
    if (tls_level == TlsLevel::sts && !relay)
        sts_found = co_await sts_policy(job.domain);
    std::string tls_refusals; // hosts passed over for want of the TLS the policy requires

    Outcome out;
    std::vector<std::string> skipped; // down by lock/tcpto
    for (const auto& m : mxs) {
        const std::string ip = m.ip.to_string();
        if (downed.down(m.ip, std::time(nullptr))) {
            skipped.push_back(ip);
            continue;
        }
        TlsDemand demand = demand_for(tls_level, job.domain, m.host, port, dane);
        if (tls_level == TlsLevel::sts && !relay && demand.refusal.empty() &&
            demand.level == TlsLevel::may)
            apply_sts(demand, job.domain, m.host, sts_found);
        if (!demand.refusal.empty()) {
            tls_refusals += ip + ": " + demand.refusal + "\n";
            continue;
        }
        if (routed_qmtp && demand.required()) {
            tls_refusals += ip + ": TLS is required for " + job.domain +
                            " but control/qmtproutes sends it over QMTP, which has no TLS. "
                            "(#4.7.5)\n";
            continue;
        }
        // QMTP to an MXPS host has no TLS: SMTP instead when TLS is required.
        if (routed_qmtp || (!relay && mx_speaks_qmtp(m.preference) && !demand.required())) {
            const unsigned short qmtp_port = routed_qmtp ? port : cfg.qmtp_port;
            const std::string key = qmtp_key(ip, qmtp_port);
            // A parked connection with something to read was closed (or spoken on) by the
            // peer while idle: not worth a package.
            if (auto c = take(key); c && c->quiet()) {
                const QmtpEnd end =
                    co_await qmtp_session(*c, ip, job, stored.fd, file_bytes, prefix, true, out);
                if (end == QmtpEnd::reusable)
                    park(key, std::move(c));
                else
                    c->close();
                if (end != QmtpEnd::stale)
                    co_return out;
            } else if (c) {
                c->close();
            }
            // An MXPS host's QMTP port that does not answer says nothing about the host (a
            // firewall may drop it): only an answer, a connection or a refusal, goes in
            // lock/tcpto. A qmtproutes relay speaks nothing else: its timeouts count.
            auto q = co_await connect_to(ex, tcp::endpoint(m.ip, qmtp_port), cfg.timeout_connect);
            if (!q.timed_out)
                downed.responded(m.ip);
            else if (routed_qmtp)
                downed.timed_out(m.ip, std::time(nullptr));
            if (q.sock) {
                auto c = std::make_unique<Conn>(std::move(*q.sock), cfg.timeout_remote);
                const QmtpEnd end =
                    co_await qmtp_session(*c, ip, job, stored.fd, file_bytes, prefix, false, out);
                if (end == QmtpEnd::reusable)
                    park(key, std::move(c));
                else
                    c->close();
                co_return out;
            }
            if (routed_qmtp)
                continue; // the next address: no SMTP for a qmtproutes domain
            // No QMTP connection: SMTP to the same address (mxps.html).
        }
        const std::string key = ip + " " + std::to_string(port);
        auto parked = take(key);
        if (parked && parked->tls_proof != demand.proof(m.host) && demand.required()) {
            parked->close(); // its TLS proved less than this mail needs
            parked.reset();
        }
        if (auto c = std::move(parked)) {
            const SessionEnd end =
                co_await session(*c, ip, m.host, job, stored, false, demand, true, out);
            if (end == SessionEnd::done_reusable)
                park(key, std::move(c));
            else
                c->close();
            if (end != SessionEnd::stale)
                co_return out;
        }
        for (bool try_tls = demand.required() || (cfg.starttls && demand.level != TlsLevel::none);
             ;) {
            auto a = co_await connect_to(ex, tcp::endpoint(m.ip, port), cfg.timeout_connect);
            // qmail counts only timeouts: a refusal proves the host is up.
            if (a.timed_out)
                downed.timed_out(m.ip, std::time(nullptr));
            else
                downed.responded(m.ip);
            if (!a.sock)
                break; // the next address
            auto c = std::make_unique<Conn>(std::move(*a.sock), cfg.timeout_remote);
            const SessionEnd end =
                co_await session(*c, ip, m.host, job, stored, try_tls, demand, false, out);
            if (end == SessionEnd::done_reusable) {
                park(key, std::move(c));
                co_return out;
            }
            c->close();
            if (end == SessionEnd::tls_refused) {
                tls_refusals += out.message.text;
                break; // the next address
            }
            if (end == SessionEnd::tls_failed) {
                try_tls = false; // the same host again, in the clear
                continue;
            }
            co_return out;
        }
    }
    std::string text = routed_qmtp
                           ? "Sorry, I wasn't able to establish a QMTP connection. (#4.4.1)\n"
                           : "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n";
    if (!tls_refusals.empty())
        text = tls_refusals;
    if (!skipped.empty()) {
        std::string list;
        for (const auto& ip : skipped)
            list += (list.empty() ? "" : ", ") + ip;
        text += "Not tried: " + list +
                ", where connections timed out recently (see qmail-tcpto; qmail-tcpok forgets "
                "them).\n";
    }
    co_return all('Z', text);
}

awaitable<SessionEnd> Client::Impl::session(Conn& c, const std::string& ip, const std::string& name,
                                            const Job& job, const StoredMessage& stored,
                                            bool try_tls, const TlsDemand& demand, bool reused,
                                            Outcome& out) {
    std::vector<RecipientReport> rcpts(job.recipients.size());
    bool critical = false; // the final dot was sent: a lost reply may mean a duplicate
    auto finish = [&](char letter, std::string text) {
        out = Outcome{rcpts, verdict(letter, std::move(text))};
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

        // The TLS control/tlspolicy requires: without it this host is not used.
        auto refuse = [&](const std::string& why) -> awaitable<SessionEnd> {
            co_await c.write("QUIT\r\n");
            finish('Z', "TLS is required for " + job.domain + " (" + demand.label() + ") but " +
                            ip + " (" + name + ") " + why + " (#4.7.5)\n");
            co_return SessionEnd::tls_refused;
        };
        if (demand.required() && !ext.starttls)
            co_return co_await refuse("does not offer STARTTLS.");
        if (ext.starttls && try_tls) {
            if (!co_await c.write("STARTTLS\r\n"))
                co_return died();
            auto r = co_await c.read_reply();
            if (!r)
                co_return died();
            if (r->code != 220 && demand.required())
                co_return co_await refuse("refused STARTTLS: " + r->text);
            if (r->code == 220) {
                const std::string& tlsa_name = name;
                auto prepare = [&demand, &tlsa_name](SSL* ssl) {
                    if (demand.level == TlsLevel::verify || demand.sts_testing) {
                        ::SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                        if (!demand.sts_policy.empty() &&
                            ::SSL_set_min_proto_version(ssl, TLS1_2_VERSION) != 1)
                            return false;
                        return ::SSL_set1_host(ssl, tlsa_name.c_str()) == 1;
                    }
                    if (demand.level != TlsLevel::dane)
                        return true;
                    // DANE-TA(2) checks the name against the MX host; DANE-EE(3) does not
                    // look at names at all (RFC 7672 3.1.1, 3.2.2).
                    if (::SSL_dane_enable(ssl, tlsa_name.c_str()) <= 0)
                        return false;
                    ::SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
                    int usable = 0;
                    for (const auto& t : demand.tlsa)
                        if (::SSL_dane_tlsa_add(
                                ssl, t.usage, t.selector, t.matching,
                                reinterpret_cast<const unsigned char*>(t.data.data()),
                                t.data.size()) > 0)
                            ++usable;
                    return usable > 0;
                };
                const bool handshake = co_await c.start_tls(tls_context(), name, prepare);
                if (!handshake && demand.required())
                    co_return co_await refuse("failed the TLS handshake.");
                if (!handshake)
                    co_return SessionEnd::tls_failed;
                std::string verified;
                if (demand.level == TlsLevel::verify || demand.level == TlsLevel::dane) {
                    const long result = ::SSL_get_verify_result(c.ssl());
                    if (result != X509_V_OK)
                        co_return co_await refuse(
                            "presented a certificate that does not verify: " +
                            std::string(::X509_verify_cert_error_string(result)) +
                            (demand.level == TlsLevel::dane ? " (checked against its TLSA records)."
                                                            : "."));
                    std::uint8_t usage = 0;
                    if (demand.level == TlsLevel::dane &&
                        ::SSL_get0_dane_tlsa(c.ssl(), &usage, nullptr, nullptr, nullptr, nullptr) <
                            0)
                        co_return co_await refuse(
                            "presented a certificate no TLSA record matches.");
                    verified =
                        demand.level == TlsLevel::dane
                            ? "certificate verified by DANE (TLSA usage " + std::to_string(usage) +
                                  ") for " + name + "."
                            : "certificate verified for " + name +
                                  (demand.sts_policy.empty() ? std::string(".")
                                                             : " (" + demand.sts_policy + ").");
                    c.tls_proof = demand.proof(name);
                } else if (demand.sts_testing) {
                    const long result = ::SSL_get_verify_result(c.ssl());
                    verified = result == X509_V_OK
                                   ? "certificate verified for " + name + " (MTA-STS policy of " +
                                         job.domain + ", testing mode)."
                                   : "certificate not verified: " +
                                         std::string(::X509_verify_cert_error_string(result)) +
                                         " (MTA-STS policy of " + job.domain +
                                         ", testing mode: delivered anyway).";
                } else {
                    verified = "certificate not verified.";
                    c.tls_proof = demand.proof(name); // encrypt: encryption is the proof
                }
                c.tls_note = "TLS: " + c.tls_description() + ", " + verified + "\n";
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

    // A parked connection starts with RSET: in the same write as MAIL and RCPT when the
    // server pipelines (RFC 2920 lets RSET lead a batch), so a reused connection costs no
    // round trip of its own. Its reply is read first; none, or not 250, and the
    // connection is given up with nothing sent that the server took.
    const std::string rset = reused ? "RSET\r\n" : "";
    auto rset_taken = [&]() -> awaitable<bool> {
        if (!reused)
            co_return true;
        auto r = co_await c.read_reply();
        co_return r && r->code == 250;
    };
    if (reused && !ext.pipelining) {
        if (!co_await c.write(rset) || !co_await rset_taken())
            co_return SessionEnd::stale;
    }

    // MAIL and every RCPT; in one write when the server pipelines.
    // quote_for_header: "" and "#@[]" (bounces, double bounces) go out unquoted.
    std::string mail = "MAIL FROM:<" + address::quote_for_header(job.sender) + ">";
    if (ext.size)
        mail += " SIZE=" + std::to_string(stored.facts.smtp_size());
    if (ext.eightbitmime && stored.facts.eight_bit)
        mail += " BODY=8BITMIME";
    mail += "\r\n";
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
    // With PIPELINING, DATA ends the batch too (RFC 2920): the body follows the replies
    // at once instead of after one more round trip.
    std::optional<Reply> data;
    if (ext.pipelining) {
        std::string batch = rset + mail;
        for (const auto& cmd : rcpt_cmds)
            batch += cmd;
        batch += "DATA\r\n";
        if (!co_await c.write(batch))
            co_return reused ? SessionEnd::stale : died();
        if (!co_await rset_taken())
            co_return SessionEnd::stale;
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
        data = co_await c.read_reply();
        if (!data)
            co_return died();
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
                     [](const RecipientReport& r) { return r.letter == 'r'; })) {
        // A server that says 354 with no recipient waits for a body: dropping the
        // connection aborts that transaction.
        if (!data || data->code != 354)
            co_await c.write("QUIT\r\n");
        c.close();
        co_return finish('D', "Giving up on " + ip + ".\n");
    }

    if (!data) {
        if (!co_await c.write("DATA\r\n"))
            co_return died();
        data = co_await c.read_reply();
        if (!data)
            co_return died();
    }
    if (data->code >= 500)
        co_return co_await quit('D', ip + " failed on DATA command.", *data);
    if (data->code != 354)
        co_return co_await quit('Z', ip + " failed on DATA command.", *data);

    // The body; the final dot is in the last write, after which a lost reply may mean
    // the message arrived.
    BodySent sent = BodySent::sent;
    if (stored.wire)
        sent = co_await c.write(*stored.wire) ? BodySent::sent : BodySent::end_lost;
    else
        sent = co_await send_body(c, stored);
    if (sent == BodySent::unreadable)
        co_return finish('Z', "Unable to read message file. (#4.3.0)\n");
    critical = sent != BodySent::cut_short;
    if (sent != BodySent::sent)
        co_return died();
    auto final_reply = co_await c.read_reply();
    if (!final_reply)
        co_return died();
    critical = false;
    if (final_reply->code >= 500)
        co_return co_await quit('D', ip + " failed after I sent the message.", *final_reply);
    if (final_reply->code >= 400)
        co_return co_await quit('Z', ip + " failed after I sent the message.", *final_reply);
    finish('K', ip + " accepted message.\n" + said(*final_reply) + c.tls_note + demand.note);
    co_return SessionEnd::done_reusable; // no QUIT: the connection may carry the next message
}

awaitable<BodySent> Client::Impl::send_body(Conn& c, const StoredMessage& stored) {
    // Streamed from the queue file through the encoder, 64 KiB at a time.
    const int fd = stored.fd;
    if (::lseek(fd, 0, SEEK_SET) != 0) {
        c.close(); // nothing complete went out: dropping the connection aborts the transaction
        co_return BodySent::unreadable;
    }
    BodyEncoder enc;
    std::string wire;
    if (stored.prefix)
        enc.feed(*stored.prefix, wire); // the DKIM signatures, ahead of the header
    bool partial = false;               // some went out already: too big to remember
    char buf[65536];
    for (;;) {
        ssize_t got = ::read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            c.close();
            co_return BodySent::unreadable;
        }
        if (got == 0)
            break;
        enc.feed(std::string_view(buf, static_cast<size_t>(got)), wire);
        if (wire.size() >= sizeof buf) {
            if (!co_await c.write(wire))
                co_return BodySent::cut_short;
            wire.clear();
            partial = true;
        }
    }
    enc.finish(wire);
    if (!co_await c.write(wire))
        co_return BodySent::end_lost;
    if (!partial && stored.identity)
        remember_wire(*stored.identity, std::move(wire));
    co_return BodySent::sent;
}

} // namespace qm::remote

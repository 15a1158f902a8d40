#include "qm/dns/lookup.hpp"

#include "qm/control.hpp"
#include "qm/env.hpp"

#include <ares.h>
#include <arpa/nameser.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>

namespace qm::dns {

namespace asio = boost::asio;
using asio::ip::address;

Result<Config> load_config() {
    Config c;
    if (auto env = qm::env("QMAIL_DNS_SERVER"); env && !env->empty()) {
        c.servers = *env;
        return c;
    }
    auto lines = control::read_lines("dnsservers");
    if (!lines)
        return fail(lines.error());
    for (const auto& l : *lines)
        c.servers += (c.servers.empty() ? "" : ",") + l;
    return c;
}

std::optional<address> ip_literal(std::string_view host) {
    std::string text(host);
    if (host.starts_with('[') && host.ends_with(']')) {
        text = std::string(host.substr(1, host.size() - 2));
        if (text.size() > 5 && (text.starts_with("IPv6:") || text.starts_with("ipv6:")))
            text = text.substr(5);
    } else if (host.find_first_not_of("0123456789.") != std::string_view::npos) {
        return std::nullopt; // only a bare dotted quad counts without brackets
    }
    boost::system::error_code ec;
    address a = asio::ip::make_address(text, ec);
    if (ec)
        return std::nullopt;
    return a;
}

namespace {

enum class Outcome { ok, hard, soft };

Outcome classify(int status) {
    switch (status) {
    case ARES_SUCCESS:
        return Outcome::ok;
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_EBADNAME:
    case ARES_EFORMERR:
        return Outcome::hard;
    default:
        return Outcome::soft;
    }
}

// One c-ares channel; run() drives it until every query has called back.
class Channel {
public:
    explicit Channel(const Config& c) {
        static std::once_flag once;
        std::call_once(once, [] { ::ares_library_init(ARES_LIB_INIT_ALL); });
        ares_options o{};
        int mask = 0;
        o.timeout = c.timeout_ms;
        mask |= ARES_OPT_TIMEOUTMS;
        o.tries = c.tries;
        mask |= ARES_OPT_TRIES;
        char lookups[] = "b"; // DNS only, never /etc/hosts
        o.lookups = lookups;
        mask |= ARES_OPT_LOOKUPS;
        o.domains = nullptr; // mail domains are absolute: no search list
        o.ndomains = 0;
        mask |= ARES_OPT_DOMAINS;
        if (::ares_init_options(&ch_, &o, mask) != ARES_SUCCESS) {
            ch_ = nullptr;
            return;
        }
        if (!c.servers.empty() &&
            ::ares_set_servers_ports_csv(ch_, c.servers.c_str()) != ARES_SUCCESS) {
            ::ares_destroy(ch_);
            ch_ = nullptr;
        }
    }
    ~Channel() {
        if (ch_)
            ::ares_destroy(ch_);
    }
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;
    [[nodiscard]] bool ok() const { return ch_ != nullptr; }
    [[nodiscard]] ares_channel get() const { return ch_; }

    void run(const int& pending) {
        while (pending > 0) {
            ares_socket_t socks[ARES_GETSOCK_MAXNUM];
            const int bits = ::ares_getsock(ch_, socks, ARES_GETSOCK_MAXNUM);
            pollfd fds[ARES_GETSOCK_MAXNUM];
            nfds_t n = 0;
            for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
                short ev = 0;
                if (ARES_GETSOCK_READABLE(bits, i))
                    ev |= POLLIN;
                if (ARES_GETSOCK_WRITABLE(bits, i))
                    ev |= POLLOUT;
                if (ev)
                    fds[n++] = pollfd{socks[i], ev, 0};
            }
            timeval tv{};
            timeval* t = ::ares_timeout(ch_, nullptr, &tv);
            const int ms = t ? static_cast<int>(tv.tv_sec * 1000 + tv.tv_usec / 1000) : 1000;
            const int r = ::poll(fds, n, ms);
            if (r <= 0) {
                ::ares_process_fd(ch_, ARES_SOCKET_BAD, ARES_SOCKET_BAD); // timeouts
                continue;
            }
            for (nfds_t i = 0; i < n; ++i) {
                const bool rd = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
                const bool wr = fds[i].revents & POLLOUT;
                if (rd || wr)
                    ::ares_process_fd(ch_, rd ? fds[i].fd : ARES_SOCKET_BAD,
                                      wr ? fds[i].fd : ARES_SOCKET_BAD);
            }
        }
    }

private:
    ares_channel ch_ = nullptr;
};

struct HostQuery {
    int* pending = nullptr;
    Outcome outcome = Outcome::soft;
    std::vector<address> addrs;
};

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
    auto* q = static_cast<HostQuery*>(arg);
    q->outcome = classify(status);
    if (res) {
        for (ares_addrinfo_node* n = res->nodes; n; n = n->ai_next) {
            if (n->ai_family == AF_INET) {
                const auto* sa = reinterpret_cast<const sockaddr_in*>(n->ai_addr);
                asio::ip::address_v4::bytes_type b;
                std::memcpy(b.data(), &sa->sin_addr, 4);
                q->addrs.emplace_back(asio::ip::address_v4(b));
            } else if (n->ai_family == AF_INET6) {
                const auto* sa = reinterpret_cast<const sockaddr_in6*>(n->ai_addr);
                asio::ip::address_v6::bytes_type b;
                std::memcpy(b.data(), &sa->sin6_addr, 16);
                q->addrs.emplace_back(asio::ip::address_v6(b));
            }
        }
        ::ares_freeaddrinfo(res);
    }
    if (q->outcome == Outcome::ok && q->addrs.empty())
        q->outcome = Outcome::hard;
    --*q->pending;
}

void start_host_query(Channel& ch, const std::string& name, HostQuery& q) {
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = ARES_AI_NOSORT; // keep the server's order; no probing connects
    ::ares_getaddrinfo(ch.get(), name.c_str(), nullptr, &hints, on_addrinfo, &q);
}

struct MxQuery {
    int* pending = nullptr;
    Outcome outcome = Outcome::soft;
    bool no_records = false;
    std::vector<std::pair<unsigned, std::string>> mx;
};

void on_mx(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    auto* q = static_cast<MxQuery*>(arg);
    --*q->pending;
    if (status == ARES_ENODATA) {
        q->outcome = Outcome::ok;
        q->no_records = true;
        return;
    }
    q->outcome = classify(status);
    if (q->outcome != Outcome::ok)
        return;
    ares_mx_reply* reply = nullptr;
    const int st = ::ares_parse_mx_reply(abuf, alen, &reply);
    if (st == ARES_ENODATA) { // an answer without MX records (a CNAME, say)
        q->no_records = true;
        return;
    }
    if (st != ARES_SUCCESS) {
        q->outcome = Outcome::soft;
        return;
    }
    for (ares_mx_reply* r = reply; r; r = r->next)
        q->mx.emplace_back(r->priority, r->host ? r->host : "");
    ::ares_free_data(reply);
    if (q->mx.empty())
        q->no_records = true;
}

Failure soft_failure() {
    return temp("4.1.2", "Sorry, I couldn't find any host by that name.");
}
Failure hard_failure(std::string_view name) {
    return perm("5.1.2", "Sorry, I couldn't find any host named " + std::string(name) + ".");
}
Failure no_resolver() {
    return temp("4.3.0", "Unable to initialize the DNS resolver.");
}

struct TxtQuery {
    int* pending = nullptr;
    Outcome outcome = Outcome::soft;
    std::vector<std::string> records;
};

void on_txt(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    auto* q = static_cast<TxtQuery*>(arg);
    --*q->pending;
    q->outcome = classify(status);
    if (q->outcome != Outcome::ok)
        return;
    ares_txt_ext* reply = nullptr;
    const int st = ::ares_parse_txt_reply_ext(abuf, alen, &reply);
    if (st == ARES_ENODATA)
        return;
    if (st != ARES_SUCCESS) {
        q->outcome = Outcome::soft;
        return;
    }
    for (ares_txt_ext* r = reply; r; r = r->next) {
        if (r->record_start || q->records.empty())
            q->records.emplace_back();
        q->records.back().append(reinterpret_cast<const char*>(r->txt), r->length);
    }
    ::ares_free_data(reply);
}

} // namespace

Result<std::vector<std::string>> resolve_txt(const Config& c, std::string_view name) {
    Channel ch(c);
    if (!ch.ok())
        return fail(no_resolver());
    int pending = 1;
    TxtQuery q{&pending};
    ::ares_query(ch.get(), std::string(name).c_str(), C_IN, T_TXT, on_txt, &q);
    ch.run(pending);
    if (q.outcome == Outcome::soft)
        return fail(temp("4.4.3", "Sorry, I couldn't look up the TXT records of " +
                                      std::string(name) + "."));
    return std::move(q.records); // a hard failure (no such name) has none
}

namespace {

// One question's reply as it came off the wire (query_raw, query_authenticated).
struct RawReply {
    int pending = 1;
    std::optional<std::string> reply;
};

void on_raw_reply(void* arg, int /*status*/, int /*timeouts*/, unsigned char* abuf, int alen) {
    auto* raw = static_cast<RawReply*>(arg);
    --raw->pending;
    if (abuf != nullptr && alen > 0)
        raw->reply.emplace(reinterpret_cast<const char*>(abuf), static_cast<size_t>(alen));
}

} // namespace

Result<std::string> query_raw(const Config& c, std::string_view name, int type) {
    Channel ch(c);
    if (!ch.ok())
        return fail(no_resolver());
    RawReply q;
    ::ares_query(ch.get(), std::string(name).c_str(), C_IN, type, on_raw_reply, &q);
    ch.run(q.pending);
    if (!q.reply)
        return fail(temp("4.4.3", "Sorry, no DNS reply for " + std::string(name) + "."));
    return std::move(*q.reply);
}

Result<AuthenticatedReply> query_authenticated(const Config& c, std::string_view name, int type) {
    Channel ch(c);
    if (!ch.ok())
        return fail(no_resolver());
    unsigned char* query = nullptr;
    int query_len = 0;
    // EDNS0 with room for a DNSSEC-sized reply; c-ares puts its own id in when it sends.
    constexpr int udp_payload = 1232;
    if (::ares_create_query(std::string(name).c_str(), C_IN, type, 0, 1, &query, &query_len,
                            udp_payload) != ARES_SUCCESS)
        return fail(perm("5.1.2", "Sorry, " + std::string(name) + " is not a valid DNS name."));
    constexpr unsigned char ad_bit = 0x20; // in the header's fourth byte
    query[3] |= ad_bit;
    RawReply q;
    ::ares_send(ch.get(), query, query_len, on_raw_reply, &q);
    ::ares_free_string(query);
    ch.run(q.pending);
    if (!q.reply || q.reply->size() < 4)
        return fail(temp("4.4.3", "Sorry, no DNS reply for " + std::string(name) + "."));
    const bool authenticated = (static_cast<unsigned char>((*q.reply)[3]) & ad_bit) != 0;
    return AuthenticatedReply{std::move(*q.reply), authenticated};
}

namespace {

constexpr int rcode_nxdomain = 3;

// The answer section's records of one type, each its RDATA, read with libresolv's parser.
// nullopt: the reply does not parse, or its code is neither success nor NXDOMAIN.
std::optional<std::vector<std::string>> answers_of_type(const std::string& reply, int type) {
    ns_msg msg{};
    if (::ns_initparse(reinterpret_cast<const unsigned char*>(reply.data()),
                       static_cast<int>(reply.size()), &msg) != 0)
        return std::nullopt;
    const int rcode = ns_msg_getflag(msg, ns_f_rcode);
    if (rcode == rcode_nxdomain)
        return std::vector<std::string>{};
    if (rcode != 0)
        return std::nullopt;
    std::vector<std::string> out;
    for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
        ns_rr rr{};
        if (::ns_parserr(&msg, ns_s_an, i, &rr) != 0)
            return std::nullopt;
        if (ns_rr_type(rr) == type && ns_rr_class(rr) == ns_c_in)
            out.emplace_back(reinterpret_cast<const char*>(ns_rr_rdata(rr)), ns_rr_rdlen(rr));
    }
    return out;
}

Failure lookup_failed(std::string_view name) {
    return temp("4.4.3", "Sorry, the DNS lookup of " + std::string(name) + " failed.");
}

} // namespace

std::optional<std::vector<Tlsa>> parse_tlsa_reply(std::string_view reply) {
    auto rdata = answers_of_type(std::string(reply), ns_t_tlsa);
    if (!rdata)
        return std::nullopt;
    std::vector<Tlsa> out;
    for (const auto& d : *rdata) {
        if (d.size() < 4)
            continue; // no data: not a usable record
        out.push_back({static_cast<std::uint8_t>(d[0]), static_cast<std::uint8_t>(d[1]),
                       static_cast<std::uint8_t>(d[2]), d.substr(3)});
    }
    return out;
}

Result<TlsaAnswer> resolve_tlsa(const Config& c, std::string_view host, unsigned short port) {
    std::string name = "_" + std::to_string(port) + "._tcp." + std::string(host);
    auto r = query_authenticated(c, name, ns_t_tlsa);
    if (!r)
        return fail(r.error());
    auto records = parse_tlsa_reply(r->reply);
    if (!records)
        return fail(lookup_failed(name));
    return TlsaAnswer{std::move(*records), r->authenticated};
}

Result<bool> mx_authenticated(const Config& c, std::string_view domain) {
    auto mx = query_authenticated(c, domain, ns_t_mx);
    if (!mx)
        return fail(mx.error());
    auto records = answers_of_type(mx->reply, ns_t_mx);
    if (!records)
        return fail(lookup_failed(domain));
    if (!records->empty())
        return mx->authenticated;
    auto a = query_authenticated(c, domain, ns_t_a);
    if (!a)
        return fail(a.error());
    return a->authenticated;
}

Result<std::vector<address>> resolve_host(const Config& c, std::string_view host) {
    if (auto ip = ip_literal(host))
        return std::vector<address>{*ip};
    Channel ch(c);
    if (!ch.ok())
        return fail(no_resolver());
    int pending = 1;
    HostQuery q{&pending};
    start_host_query(ch, std::string(host), q);
    ch.run(pending);
    if (q.outcome == Outcome::soft)
        return fail(soft_failure());
    if (q.outcome == Outcome::hard)
        return fail(hard_failure(host));
    return std::move(q.addrs);
}

Result<std::vector<MxAddress>> resolve_mx(const Config& c, std::string_view domain) {
    if (auto ip = ip_literal(domain))
        return std::vector<MxAddress>{{*ip, 0, std::string(domain)}};
    Channel ch(c);
    if (!ch.ok())
        return fail(no_resolver());
    const std::string name(domain);
    int pending = 1;
    MxQuery mq{&pending};
    ::ares_query(ch.get(), name.c_str(), C_IN, T_MX, on_mx, &mq);
    ch.run(pending);
    if (mq.outcome == Outcome::soft)
        return fail(soft_failure());
    if (mq.outcome == Outcome::hard)
        return fail(hard_failure(domain));
    std::vector<MxAddress> out;
    if (mq.no_records) {
        // No MX: the domain's own addresses, preference 0 (RFC 5321 section 5.1).
        auto addrs = resolve_host(c, domain);
        if (!addrs)
            return fail(addrs.error());
        for (const auto& a : *addrs)
            out.push_back({a, 0, name});
        return out;
    }
    // Random order among equal preferences: shuffle, then a stable sort.
    static thread_local std::mt19937 rng{std::random_device{}()};
    std::shuffle(mq.mx.begin(), mq.mx.end(), rng);
    std::stable_sort(mq.mx.begin(), mq.mx.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<HostQuery> hosts(mq.mx.size());
    pending = 0;
    for (size_t i = 0; i < mq.mx.size(); ++i) {
        if (mq.mx[i].second.empty()) // RFC 7505 null MX "."
            continue;
        hosts[i].pending = &pending;
        ++pending;
    }
    if (pending == 0)
        return fail(perm("5.1.10", "Sorry, " + name + " says it accepts no mail (null MX)."));
    for (size_t i = 0; i < mq.mx.size(); ++i)
        if (hosts[i].pending)
            start_host_query(ch, mq.mx[i].second, hosts[i]);
    ch.run(pending);
    bool soft = false;
    for (size_t i = 0; i < mq.mx.size(); ++i) {
        if (!hosts[i].pending)
            continue;
        if (hosts[i].outcome == Outcome::soft)
            soft = true; // qmail: a soft failure for any MX host defers the message
        for (const auto& a : hosts[i].addrs)
            out.push_back({a, mq.mx[i].first, mq.mx[i].second});
    }
    if (soft)
        return fail(soft_failure());
    return out;
}

std::vector<address> local_addresses() {
    std::vector<address> out{asio::ip::address_v4::any(), asio::ip::address_v6::any()};
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return out;
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr)
            continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            const auto* sa = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            asio::ip::address_v4::bytes_type b;
            std::memcpy(b.data(), &sa->sin_addr, 4);
            out.emplace_back(asio::ip::address_v4(b));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const auto* sa = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            asio::ip::address_v6::bytes_type b;
            std::memcpy(b.data(), &sa->sin6_addr, 16);
            out.emplace_back(asio::ip::address_v6(b));
        }
    }
    ::freeifaddrs(list);
    return out;
}

} // namespace qm::dns

#include "qm/mailauth/spf.hpp"

#include "spf_dns.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/types.h>

extern "C" {
#include <spf2/spf.h>
#include <spf2/spf_dns.h>
}

#include <cstring>
#include <memory>
#include <vector>

namespace qm::mailauth {

namespace {

// The answers a reply carries, as the strings or addresses libspf2 keeps per record.
using Record = std::string;

std::vector<Record> a_records(const unsigned char* abuf, int alen) {
    std::vector<Record> out;
    ares_addrttl ttls[64];
    int n = 64;
    if (::ares_parse_a_reply(abuf, alen, nullptr, ttls, &n) != ARES_SUCCESS)
        return out;
    for (int i = 0; i < n; ++i)
        out.emplace_back(reinterpret_cast<const char*>(&ttls[i].ipaddr), sizeof(in_addr));
    return out;
}

std::vector<Record> aaaa_records(const unsigned char* abuf, int alen) {
    std::vector<Record> out;
    ares_addr6ttl ttls[64];
    int n = 64;
    if (::ares_parse_aaaa_reply(abuf, alen, nullptr, ttls, &n) != ARES_SUCCESS)
        return out;
    for (int i = 0; i < n; ++i)
        out.emplace_back(reinterpret_cast<const char*>(&ttls[i].ip6addr), sizeof(in6_addr));
    return out;
}

std::vector<Record> mx_records(const unsigned char* abuf, int alen) {
    std::vector<Record> out;
    ares_mx_reply* mx = nullptr;
    if (::ares_parse_mx_reply(abuf, alen, &mx) != ARES_SUCCESS)
        return out;
    for (auto* m = mx; m != nullptr; m = m->next)
        out.emplace_back(m->host);
    ::ares_free_data(mx);
    return out;
}

// RFC 7208 3.3: a record of several character-strings is their concatenation.
std::vector<Record> txt_records(const unsigned char* abuf, int alen) {
    std::vector<Record> out;
    ares_txt_ext* txt = nullptr;
    if (::ares_parse_txt_reply_ext(abuf, alen, &txt) != ARES_SUCCESS)
        return out;
    for (auto* t = txt; t != nullptr; t = t->next) {
        if (t->record_start != 0 || out.empty())
            out.emplace_back();
        out.back().append(reinterpret_cast<const char*>(t->txt), t->length);
    }
    ::ares_free_data(txt);
    return out;
}

std::vector<Record> ptr_records(const unsigned char* abuf, int alen) {
    std::vector<Record> out;
    hostent* host = nullptr;
    in_addr unused{}; // c-ares copies an address into the hostent; the names are what counts
    if (::ares_parse_ptr_reply(abuf, alen, &unused, sizeof unused, AF_INET, &host) != ARES_SUCCESS)
        return out;
    if (host->h_name != nullptr)
        out.emplace_back(host->h_name);
    for (char** alias = host->h_aliases; alias != nullptr && *alias != nullptr; ++alias)
        out.emplace_back(*alias);
    ::ares_free_hostent(host);
    return out;
}

} // namespace

namespace detail {

std::vector<std::string> records_of_reply(int type, std::string_view reply) {
    const auto* abuf = reinterpret_cast<const unsigned char*>(reply.data());
    const int alen = static_cast<int>(reply.size());
    switch (type) {
    case ns_t_a:
        return a_records(abuf, alen);
    case ns_t_aaaa:
        return aaaa_records(abuf, alen);
    case ns_t_mx:
        return mx_records(abuf, alen);
    case ns_t_txt:
        return txt_records(abuf, alen);
    case ns_t_ptr:
        return ptr_records(abuf, alen);
    default:
        return {};
    }
}

} // namespace detail

namespace {

constexpr int header_bytes = 12;
constexpr int rcode_nxdomain = 3;

// libspf2's DNS layer interface: one question, answered by c-ares. The returned record set
// belongs to the caller (libspf2 frees it).
SPF_dns_rr_t* lookup(SPF_dns_server_t* server, const char* domain, ns_type type, int /*cache*/) {
    const auto* config = static_cast<const dns::Config*>(server->hook);
    auto reply = dns::query_raw(*config, domain, type);
    if (!reply || reply->size() < header_bytes)
        return SPF_dns_rr_new_init(server, domain, type, 0, TRY_AGAIN);
    const int rcode = static_cast<unsigned char>((*reply)[3]) & 0x0f;
    if (rcode == rcode_nxdomain)
        return SPF_dns_rr_new_nxdomain(server, domain);
    if (rcode != 0)
        return SPF_dns_rr_new_init(server, domain, type, 0, TRY_AGAIN);

    const std::vector<Record> records = detail::records_of_reply(type, *reply);
    SPF_dns_rr_t* rr =
        SPF_dns_rr_new_init(server, domain, type, 0, records.empty() ? NO_DATA : NETDB_SUCCESS);
    if (rr == nullptr)
        return nullptr;
    const bool binary = type == ns_t_a || type == ns_t_aaaa;
    for (size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        const size_t len = binary ? r.size() : r.size() + 1; // strings end in NUL
        if (SPF_dns_rr_buf_realloc(rr, static_cast<int>(i), len) != SPF_E_SUCCESS) {
            SPF_dns_rr_free(rr);
            return SPF_dns_rr_new_init(server, domain, type, 0, TRY_AGAIN);
        }
        std::memcpy(rr->rr[i], r.data(), r.size());
        if (!binary)
            reinterpret_cast<char*>(rr->rr[i])[r.size()] = '\0';
        rr->num_rr = static_cast<int>(i + 1);
    }
    return rr;
}

struct ServerDeleter {
    void operator()(SPF_server_t* s) const { SPF_server_free(s); }
};
struct RequestDeleter {
    void operator()(SPF_request_t* r) const { SPF_request_free(r); }
};
struct ResponseDeleter {
    void operator()(SPF_response_t* r) const { SPF_response_free(r); }
};

SpfResult from_library(SPF_result_t r) {
    switch (r) {
    case SPF_RESULT_PASS:
        return SpfResult::pass;
    case SPF_RESULT_FAIL:
        return SpfResult::fail;
    case SPF_RESULT_SOFTFAIL:
        return SpfResult::softfail;
    case SPF_RESULT_NEUTRAL:
        return SpfResult::neutral;
    case SPF_RESULT_TEMPERROR:
        return SpfResult::temperror;
    case SPF_RESULT_PERMERROR:
        return SpfResult::permerror;
    default:
        return SpfResult::none;
    }
}

// libspf2 1.2.10 leaves the result "none" (or unset) when the record could not be had or
// read; its messages tell which RFC 7208 result that is: a DNS failure is temperror
// (2.6.6), a record that does not compile or several records are permerror (2.6.7, 4.5),
// no record at all is none.
SpfResult result_of(SPF_response_t* resp, SPF_errcode_t err) {
    const SPF_result_t r = SPF_response_result(resp);
    if (r != SPF_RESULT_INVALID && r != SPF_RESULT_NONE)
        return from_library(r);
    if (err == SPF_E_SUCCESS)
        return SpfResult::none;
    bool dns = err == SPF_E_DNS_ERROR || err == SPF_E_NO_MEMORY;
    bool unusable = false;
    for (int i = 0; i < SPF_response_messages(resp); ++i) {
        const SPF_errcode_t code = SPF_error_code(SPF_response_message(resp, i));
        if (code == SPF_E_DNS_ERROR)
            dns = true;
        else if (code != SPF_E_NOT_SPF)
            unusable = true;
    }
    if (dns)
        return SpfResult::temperror;
    return unusable ? SpfResult::permerror : SpfResult::none;
}

bool set_client(SPF_request_t* req, const boost::asio::ip::address& client) {
    if (client.is_v6() && client.to_v6().is_v4_mapped())
        return set_client(
            req, boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, client.to_v6()));
    if (client.is_v4()) {
        in_addr a{};
        const auto bytes = client.to_v4().to_bytes();
        std::memcpy(&a, bytes.data(), bytes.size());
        return SPF_request_set_ipv4(req, a) == SPF_E_SUCCESS;
    }
    in6_addr a{};
    const auto bytes = client.to_v6().to_bytes();
    std::memcpy(&a, bytes.data(), bytes.size());
    return SPF_request_set_ipv6(req, a) == SPF_E_SUCCESS;
}

std::string domain_of(std::string_view identity) {
    const auto at = identity.rfind('@');
    return std::string(at == std::string_view::npos ? identity : identity.substr(at + 1));
}

// check_host() for identity (an address, or a bare domain that libspf2 makes
// "postmaster@domain").
SpfCheck check(const SpfQuestion& q, const std::string& identity, const dns::Config& dns) {
    SpfCheck out;
    out.identity = identity;
    out.domain = domain_of(identity);
    SPF_dns_server_t layer{};
    layer.lookup = lookup;
    layer.name = "c-ares";
    layer.hook = const_cast<dns::Config*>(&dns); // read only; libspf2's hook is void*
    std::unique_ptr<SPF_server_t, ServerDeleter> server(SPF_server_new_dns(&layer, 0));
    if (!server) {
        out.result = SpfResult::temperror;
        out.comment = "SPF library unavailable";
        return out;
    }
    if (!q.receiver.empty())
        SPF_server_set_rec_dom(server.get(), q.receiver.c_str());
    std::unique_ptr<SPF_request_t, RequestDeleter> req(SPF_request_new(server.get()));
    if (!req || !set_client(req.get(), q.client)) {
        out.result = SpfResult::permerror;
        out.comment = "no client address to check";
        return out;
    }
    if (!q.helo.empty())
        SPF_request_set_helo_dom(req.get(), q.helo.c_str());
    if (SPF_request_set_env_from(req.get(), identity.c_str()) != 0) {
        out.result = SpfResult::none;
        out.comment = "no domain to check";
        return out;
    }
    SPF_response_t* raw = nullptr;
    const SPF_errcode_t err = SPF_request_query_mailfrom(req.get(), &raw);
    std::unique_ptr<SPF_response_t, ResponseDeleter> resp(raw);
    if (!resp) {
        out.result = SpfResult::temperror;
        return out;
    }
    out.result = result_of(resp.get(), err);
    if (const char* c = SPF_response_get_header_comment(resp.get()); c != nullptr)
        out.comment = c;
    return out;
}

bool checkable_name(std::string_view name) {
    return !name.empty() && name.front() != '[' && name.find('.') != std::string_view::npos;
}

} // namespace

std::string_view spf_result_name(SpfResult r) {
    switch (r) {
    case SpfResult::none:
        return "none";
    case SpfResult::neutral:
        return "neutral";
    case SpfResult::pass:
        return "pass";
    case SpfResult::fail:
        return "fail";
    case SpfResult::softfail:
        return "softfail";
    case SpfResult::temperror:
        return "temperror";
    case SpfResult::permerror:
        return "permerror";
    }
    return "none";
}

SpfCheck check_mail_from(const SpfQuestion& q, const dns::Config& dns) {
    if (q.sender.empty()) {
        // RFC 7208 2.4: the null sender is checked as postmaster at the HELO name.
        if (!checkable_name(q.helo))
            return SpfCheck{SpfResult::none, "postmaster@" + q.helo, q.helo,
                            "no HELO name to check"};
        auto r = check(q, "postmaster@" + q.helo, dns);
        return r;
    }
    const std::string domain = domain_of(q.sender);
    if (!checkable_name(domain))
        return SpfCheck{SpfResult::none, q.sender, domain, "no domain to check"};
    return check(q, q.sender, dns);
}

SpfCheck check_helo(const SpfQuestion& q, const dns::Config& dns) {
    if (!checkable_name(q.helo))
        return SpfCheck{SpfResult::none, q.helo, q.helo, "no HELO name to check"};
    auto r = check(q, q.helo, dns);
    r.identity = q.helo;
    return r;
}

} // namespace qm::mailauth

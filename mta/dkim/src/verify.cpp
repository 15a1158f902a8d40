#include "qm/dkim/verify.hpp"

#include "opendkim.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

namespace qm::dkim {

namespace {

// A question OpenDKIM asked: answered at once (the lookups block, as every lookup of
// ours does off the event loop), handed over when it waits for the reply.
struct Query {
    size_t bytes = 0;
    int error = 0;
    bool answered = false;
};

int query_start(void* service, int type, unsigned char* question, unsigned char* buf, size_t buflen,
                void** handle) {
    const auto* config = static_cast<const dns::Config*>(service);
    auto* q = new Query;
    *handle = q;
    auto reply = dns::query_raw(*config, reinterpret_cast<const char*>(question), type);
    if (!reply) {
        q->error = 1; // no reply: OpenDKIM reports the key as unavailable (temperror)
        return DKIM_DNS_SUCCESS;
    }
    q->bytes = std::min(reply->size(), buflen);
    std::memcpy(buf, reply->data(), q->bytes);
    q->answered = true;
    return DKIM_DNS_SUCCESS;
}

int query_cancel(void*, void* handle) {
    delete static_cast<Query*>(handle);
    return DKIM_DNS_SUCCESS;
}

int query_waitreply(void*, void* handle, struct timeval*, size_t* bytes, int* error, int* dnssec) {
    auto* q = static_cast<Query*>(handle);
    if (bytes != nullptr)
        *bytes = q->bytes;
    if (error != nullptr)
        *error = q->error;
    if (dnssec != nullptr)
        *dnssec = DKIM_DNSSEC_UNKNOWN;
    return q->answered ? DKIM_DNS_SUCCESS : DKIM_DNS_ERROR;
}

int query_init(void**) {
    return 0;
}

void query_close(void*) {}

std::string text(const unsigned char* s) {
    return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s));
}

} // namespace

std::string_view verdict_name(Verdict v) {
    switch (v) {
    case Verdict::pass:
        return "pass";
    case Verdict::fail:
        return "fail";
    case Verdict::neutral:
        return "neutral";
    case Verdict::temperror:
        return "temperror";
    case Verdict::permerror:
        return "permerror";
    }
    return "neutral";
}

Result<std::vector<SignatureCheck>> verify(std::string_view message, const dns::Config& dns) {
    detail::Lib lib(dkim_init(nullptr, nullptr));
    if (!lib)
        return fail(temp("4.3.0", "unable to start OpenDKIM's library"));
    dns::Config config = dns;
    dkim_dns_set_query_service(lib.get(), &config);
    dkim_dns_set_query_start(lib.get(), query_start);
    dkim_dns_set_query_cancel(lib.get(), query_cancel);
    dkim_dns_set_query_waitreply(lib.get(), query_waitreply);
    dkim_dns_set_init(lib.get(), query_init);
    dkim_dns_set_close(lib.get(), query_close);
    DKIM_STAT st = DKIM_STAT_OK;
    detail::Handle d(dkim_verify(lib.get(), reinterpret_cast<const u_char*>("qm"), nullptr, &st));
    if (!d)
        return fail(temp("4.3.0", std::string("dkim_verify: ") + dkim_getresultstr(st)));
    std::vector<SignatureCheck> checks;
    if (auto fed = detail::feed(d.get(), message); !fed)
        return checks; // nothing OpenDKIM can check
    (void)dkim_eom(d.get(), nullptr);
    DKIM_SIGINFO** sigs = nullptr;
    int n = 0;
    if (dkim_getsiglist(d.get(), &sigs, &n) != DKIM_STAT_OK)
        return checks;
    for (int i = 0; i < n; ++i) {
        DKIM_SIGINFO* sig = sigs[i];
        SignatureCheck c;
        c.domain = text(dkim_sig_getdomain(sig));
        c.selector = text(dkim_sig_getselector(sig));
        const unsigned flags = dkim_sig_getflags(sig);
        const int error = dkim_sig_geterror(sig);
        if ((flags & DKIM_SIGFLAG_PASSED) != 0 && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH) {
            c.verdict = Verdict::pass;
        } else {
            c.reason = dkim_sig_geterrorstr(error) != nullptr ? dkim_sig_geterrorstr(error) : "";
            switch (error) {
            case DKIM_SIGERROR_KEYFAIL:
                c.verdict = Verdict::temperror; // the key could not be fetched now
                break;
            case DKIM_SIGERROR_NOKEY:
            case DKIM_SIGERROR_DNSSYNTAX:
            case DKIM_SIGERROR_KEYREVOKED:
            case DKIM_SIGERROR_KEYDECODE:
            case DKIM_SIGERROR_KEYTOOSMALL:
            case DKIM_SIGERROR_VERSION:
            case DKIM_SIGERROR_DOMAIN:
            case DKIM_SIGERROR_SUBDOMAIN:
            case DKIM_SIGERROR_KEYTYPEUNKNOWN:
            case DKIM_SIGERROR_KEYUNKNOWNHASH:
            case DKIM_SIGERROR_KEYHASHMISMATCH:
                c.verdict = Verdict::permerror;
                break;
            default:
                c.verdict = Verdict::fail;
                if (c.reason.empty() && dkim_sig_getbh(sig) != DKIM_SIGBH_MATCH)
                    c.reason = "body hash did not verify";
            }
        }
        checks.push_back(std::move(c));
    }
    return checks;
}

} // namespace qm::dkim

#include "qm/mailauth/dmarc.hpp"

#include "qm/address.hpp"
#include "qm/mailauth/public_suffix.hpp"

#include <sys/param.h>
#include <sys/types.h>
#include <unistd.h>

extern "C" {
#include <dmarc.h>
}

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>

namespace qm::mailauth {

namespace {

// Debian's publicsuffix package, which libopendmarc reads for its relaxed alignment.
constexpr const char* public_suffix_file = "/usr/share/publicsuffix/public_suffix_list.dat";

// libopendmarc keeps its suffix list in a global that its set-up fills without a lock:
// set up once, before the first message.
void start_library() {
    static std::once_flag once;
    std::call_once(once, [] {
        OPENDMARC_LIB_T lib{};
        if (::access(public_suffix_file, R_OK) == 0) {
            lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
            std::strncpy(reinterpret_cast<char*>(lib.tld_source_file), public_suffix_file,
                         sizeof lib.tld_source_file - 1);
        } else {
            lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
        }
        ::opendmarc_policy_library_init(&lib);
    });
}

struct PolicyDeleter {
    void operator()(DMARC_POLICY_T* p) const { ::opendmarc_policy_connect_shutdown(p); }
};

unsigned char* u(const std::string& s) {
    // libopendmarc takes u_char* and copies; it never writes through them.
    return reinterpret_cast<unsigned char*>(const_cast<char*>(s.c_str()));
}

std::string lower_domain(std::string_view d) {
    std::string s = address::lowercase(d);
    while (s.ends_with('.'))
        s.pop_back();
    return s;
}

// RFC 7489 6.6.3: of the TXT records at the name, those starting "v=DMARC1"; exactly one
// counts, none or several mean no policy there.
struct Found {
    std::string record;
    bool temporary_failure = false;
};

Found policy_record(const std::string& domain, const dns::Config& dns) {
    auto txt = dns::resolve_txt(dns, "_dmarc." + domain);
    if (!txt)
        return {{}, true};
    std::vector<std::string> dmarc;
    for (auto& t : *txt) {
        std::string_view v(t);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
            v.remove_prefix(1);
        if (v.size() >= 8 && address::lowercase(v.substr(0, 8)) == "v=dmarc1" &&
            (v.size() == 8 || v[8] == ';' || v[8] == ' ' || v[8] == '\t'))
            dmarc.push_back(t);
    }
    if (dmarc.size() != 1)
        return {};
    return {dmarc.front(), false};
}

int spf_outcome(SpfResult r) {
    switch (r) {
    case SpfResult::pass:
        return DMARC_POLICY_SPF_OUTCOME_PASS;
    case SpfResult::temperror:
        return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
    case SpfResult::none:
    case SpfResult::neutral:
        return DMARC_POLICY_SPF_OUTCOME_NONE;
    default:
        return DMARC_POLICY_SPF_OUTCOME_FAIL;
    }
}

int dkim_outcome(dkim::Verdict v) {
    switch (v) {
    case dkim::Verdict::pass:
        return DMARC_POLICY_DKIM_OUTCOME_PASS;
    case dkim::Verdict::temperror:
        return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
    case dkim::Verdict::neutral:
        return DMARC_POLICY_DKIM_OUTCOME_NONE;
    default:
        return DMARC_POLICY_DKIM_OUTCOME_FAIL;
    }
}

DmarcPolicy policy_of(int token) {
    switch (token) {
    case DMARC_RECORD_P_REJECT:
        return DmarcPolicy::reject;
    case DMARC_RECORD_P_QUARANTINE:
        return DmarcPolicy::quarantine;
    default:
        return DmarcPolicy::none;
    }
}

} // namespace

std::string_view dmarc_result_name(DmarcResult r) {
    switch (r) {
    case DmarcResult::none:
        return "none";
    case DmarcResult::pass:
        return "pass";
    case DmarcResult::fail:
        return "fail";
    case DmarcResult::temperror:
        return "temperror";
    case DmarcResult::permerror:
        return "permerror";
    }
    return "none";
}

std::string_view dmarc_policy_name(DmarcPolicy p) {
    switch (p) {
    case DmarcPolicy::none:
        return "none";
    case DmarcPolicy::quarantine:
        return "quarantine";
    case DmarcPolicy::reject:
        return "reject";
    }
    return "none";
}

DmarcCheck check_dmarc(const DmarcQuestion& q, const dns::Config& dns) {
    DmarcCheck out;
    std::set<std::string> domains;
    for (const auto& d : q.from_domains)
        if (!d.empty())
            domains.insert(lower_domain(d));
    if (domains.empty()) {
        out.reason = "no From domain";
        return out;
    }
    out.from_domain = *domains.begin();
    if (domains.size() > 1) {
        out.result = DmarcResult::permerror;
        out.reason = "From names several domains";
        return out;
    }

    // The policy at the From domain, else at its organizational domain (RFC 7489 6.6.3).
    Found found = policy_record(out.from_domain, dns);
    std::string org;
    if (found.record.empty() && !found.temporary_failure) {
        org = organizational_domain(out.from_domain);
        if (org != out.from_domain)
            found = policy_record(org, dns);
        else
            org.clear();
    }
    if (found.temporary_failure) {
        out.result = DmarcResult::temperror;
        out.reason = "no DNS answer for the policy";
        return out;
    }
    if (found.record.empty()) {
        out.reason = "no policy published";
        return out;
    }

    start_library();
    const bool v6 = q.client_ip.find(':') != std::string::npos;
    std::string ip = q.client_ip.empty() ? std::string("0.0.0.0") : q.client_ip;
    std::unique_ptr<DMARC_POLICY_T, PolicyDeleter> ctx(
        ::opendmarc_policy_connect_init(u(ip), v6 ? 1 : 0));
    if (!ctx) {
        out.result = DmarcResult::temperror;
        out.reason = "DMARC library unavailable";
        return out;
    }
    ::opendmarc_policy_store_from_domain(ctx.get(), u(out.from_domain));
    // The record before the results: libopendmarc judges DKIM alignment as it stores
    // each signature, by the record's adkim=.
    if (::opendmarc_policy_store_dmarc(ctx.get(), u(found.record), u(out.from_domain),
                                       org.empty() ? nullptr : u(org)) != DMARC_PARSE_OKAY) {
        out.result = DmarcResult::permerror;
        out.reason = "unusable policy record";
        return out;
    }
    if (!q.spf.domain.empty()) {
        // For the null sender the checked identity is the HELO name's postmaster (RFC 7489
        // 4.1 takes the HELO identity then); either way its domain is what aligns.
        ::opendmarc_policy_store_spf(ctx.get(), u(q.spf.domain), spf_outcome(q.spf.result),
                                     DMARC_POLICY_SPF_ORIGIN_MAILFROM, nullptr);
    }
    for (const auto& sig : q.dkim)
        if (!sig.domain.empty())
            ::opendmarc_policy_store_dkim(ctx.get(), u(sig.domain), u(sig.selector),
                                          dkim_outcome(sig.verdict), nullptr);

    const int verdict = ::opendmarc_get_policy_to_enforce(ctx.get());
    int p = DMARC_RECORD_P_UNSPECIFIED;
    if (::opendmarc_get_policy_token_used(ctx.get()) == DMARC_USED_POLICY_IS_SP)
        ::opendmarc_policy_fetch_sp(ctx.get(), &p);
    else
        ::opendmarc_policy_fetch_p(ctx.get(), &p);
    out.policy = policy_of(p);
    switch (verdict) {
    case DMARC_POLICY_PASS:
        out.result = DmarcResult::pass;
        break;
    case DMARC_POLICY_REJECT:
    case DMARC_POLICY_QUARANTINE:
    case DMARC_POLICY_NONE:
        out.result = DmarcResult::fail;
        out.reason = "neither SPF nor DKIM aligned with the From domain";
        break;
    case DMARC_POLICY_ABSENT:
        out.result = DmarcResult::none;
        out.reason = "no policy published";
        break;
    default:
        out.result = DmarcResult::permerror;
        out.reason = ::opendmarc_policy_status_to_str(verdict);
        break;
    }
    return out;
}

} // namespace qm::mailauth

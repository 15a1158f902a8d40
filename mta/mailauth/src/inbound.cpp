#include "qm/mailauth/inbound.hpp"

#include "qm/control.hpp"
#include "qm/dkim/arc.hpp"
#include "qm/dkim/verify.hpp"
#include "qm/inject/address_list.hpp"
#include "qm/inject/header.hpp"
#include "qm/mailauth/dmarc.hpp"
#include "qm/mailauth/spf.hpp"

#include <algorithm>

namespace qm::mailauth {

namespace {

// The header block only: the From fields are all DMARC reads, and the body can be large.
std::string_view header_of(std::string_view message) {
    size_t pos = 0;
    while (pos < message.size()) {
        const size_t nl = message.find('\n', pos);
        if (nl == std::string_view::npos)
            return message;
        const std::string_view line = message.substr(pos, nl - pos);
        if (line.empty() || line == "\r")
            return message.substr(0, pos);
        pos = nl + 1;
    }
    return message;
}

std::vector<std::string> from_domains(std::string_view message) {
    std::vector<std::string> out;
    const auto split = inject::split_message(header_of(message));
    for (const auto& field : split.fields) {
        if (inject::field_kind(field) != inject::FieldKind::from)
            continue;
        auto addresses = inject::parse_address_list(inject::unfold(inject::field_value(field)));
        if (!addresses)
            continue;
        for (const auto& a : *addresses) {
            const auto at = a.address.rfind('@');
            if (at != std::string::npos)
                out.push_back(a.address.substr(at + 1));
        }
    }
    return out;
}

MethodResult spf_item(const SpfCheck& c, std::string_view property) {
    MethodResult r{"spf", std::string(spf_result_name(c.result)), c.comment, {}};
    r.properties.emplace_back(std::string(property), c.identity);
    return r;
}

bool any_temperror(const SpfCheck& spf, const std::vector<dkim::SignatureCheck>& sigs) {
    return spf.result == SpfResult::temperror ||
           std::any_of(sigs.begin(), sigs.end(), [](const dkim::SignatureCheck& s) {
               return s.verdict == dkim::Verdict::temperror;
           });
}

} // namespace

Result<InboundChecks> parse_authcheck(std::string_view text, std::string_view file) {
    InboundChecks c;
    for (const auto& [line_no, line] : control::meaningful_lines(text)) {
        if (line == "spf") {
            c.spf = true;
        } else if (line == "dkim") {
            c.dkim = true;
        } else if (line == "dmarc") {
            c.dmarc = true;
        } else if (line == "dmarc-reject") {
            c.dmarc = true;
            c.dmarc_reject = true;
        } else if (line == "arc") {
            c.arc = true;
        } else {
            return fail(perm("5.3.5", std::string(file) + ":" + std::to_string(line_no) +
                                          ": unknown check \"" + std::string(line) +
                                          "\" (spf, dkim, dmarc, dmarc-reject or arc)"));
        }
    }
    return c;
}

Result<std::optional<InboundChecks>> load_inbound_checks() {
    auto text = control::read_text("authcheck");
    if (!text)
        return fail(text.error());
    if (!*text)
        return std::optional<InboundChecks>{};
    auto checks = parse_authcheck(**text, control::path("authcheck"));
    if (!checks)
        return fail(checks.error());
    if (!checks->any())
        return std::optional<InboundChecks>{};
    auto id = control::read_line_or_me("authservid");
    if (!id)
        return fail(id.error());
    checks->authserv_id = *id;
    return std::optional<InboundChecks>{std::move(*checks)};
}

Outcome check_message(const InboundChecks& checks, const Arrival& arrival, std::string_view message,
                      const dns::Config& dns) {
    Outcome out;
    out.forged = forged_results(message, checks.authserv_id);
    if (arrival.trusted)
        return out;

    std::vector<MethodResult> items;
    const SpfQuestion question{arrival.client, arrival.helo, arrival.sender, checks.authserv_id};
    SpfCheck mail_from;
    if (checks.spf || checks.dmarc) {
        mail_from = check_mail_from(question, dns);
        items.push_back(spf_item(mail_from, "smtp.mailfrom"));
        if (!arrival.sender.empty()) {
            // The HELO identity on its own line (RFC 7208 2.3), when the client gave a name.
            const SpfCheck helo = check_helo(question, dns);
            if (!helo.identity.empty())
                items.push_back(spf_item(helo, "smtp.helo"));
        }
    }
    std::vector<dkim::SignatureCheck> signatures;
    if (checks.dkim || checks.dmarc) {
        auto verified = dkim::verify(message, dns);
        if (!verified) {
            items.push_back({"dkim", "temperror", verified.error().text, {}});
        } else {
            signatures = std::move(*verified);
            if (signatures.empty())
                items.push_back({"dkim", "none", {}, {}});
            for (const auto& s : signatures) {
                MethodResult r{"dkim", std::string(dkim::verdict_name(s.verdict)), s.reason, {}};
                r.properties.emplace_back("header.d", s.domain);
                r.properties.emplace_back("header.s", s.selector);
                items.push_back(std::move(r));
            }
        }
    }
    if (checks.dmarc) {
        const DmarcQuestion q{arrival.client.to_string(), from_domains(message), mail_from,
                              signatures};
        const DmarcCheck d = check_dmarc(q, dns);
        std::string why = "p=" + std::string(dmarc_policy_name(d.policy));
        if (d.result != DmarcResult::pass && !d.reason.empty())
            why = d.result == DmarcResult::fail ? why + ", " + d.reason : d.reason;
        MethodResult r{"dmarc", std::string(dmarc_result_name(d.result)), why, {}};
        if (!d.from_domain.empty())
            r.properties.emplace_back("header.from", d.from_domain);
        items.push_back(std::move(r));
        // Refused only on a certain failure: a temporary DNS error in SPF or DKIM could have
        // been the aligned pass.
        if (checks.dmarc_reject && d.result == DmarcResult::fail &&
            d.policy == DmarcPolicy::reject && !any_temperror(mail_from, signatures))
            out.refusal = perm("5.7.1", "Sorry, the DMARC policy of " + d.from_domain +
                                            " rejects this message: no SPF or DKIM pass aligned "
                                            "with its From domain.");
    }
    if (checks.arc) {
        // As the message came: a list changes it before our seal, whose cv= this becomes.
        const auto chain = dkim::validate_arc_chain(message, dkim::dns_lookup(dns));
        items.push_back(
            {"arc", std::string(dkim::chain_status_name(chain.status)), chain.reason, {}});
    }
    out.field = authentication_results_field(checks.authserv_id, items);
    return out;
}

} // namespace qm::mailauth

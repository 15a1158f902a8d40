#include "qm/remote/tls_policy.hpp"

#include "qm/address.hpp"
#include "qm/control.hpp"

#include <optional>

namespace qm::remote {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::optional<TlsLevel> level_named(std::string_view name) {
    for (const auto l : {TlsLevel::none, TlsLevel::may, TlsLevel::encrypt, TlsLevel::dane,
                         TlsLevel::dane_only, TlsLevel::verify, TlsLevel::sts})
        if (tls_level_name(l) == name)
            return l;
    return std::nullopt;
}

} // namespace

std::string_view tls_level_name(TlsLevel l) {
    switch (l) {
    case TlsLevel::none:
        return "none";
    case TlsLevel::may:
        return "may";
    case TlsLevel::encrypt:
        return "encrypt";
    case TlsLevel::dane:
        return "dane";
    case TlsLevel::dane_only:
        return "dane-only";
    case TlsLevel::verify:
        return "verify";
    case TlsLevel::sts:
        return "sts";
    }
    return "may";
}

Result<TlsPolicy> TlsPolicy::parse(std::string_view text, std::string_view file) {
    TlsPolicy p;
    for (const auto& [line_no, line] : control::meaningful_lines(text)) {
        const auto where = std::string(file) + ":" + std::to_string(line_no) + ": ";
        const size_t colon = line.rfind(':');
        if (colon == std::string_view::npos)
            return fail(
                perm("5.3.5", where + "no colon in \"" + std::string(line) + "\" (domain:level)"));
        const auto level = level_named(trim(line.substr(colon + 1)));
        if (!level)
            return fail(perm("5.3.5", where + "unknown TLS level \"" +
                                          std::string(trim(line.substr(colon + 1))) +
                                          "\" (none, may, encrypt, dane, dane-only, verify, sts)"));
        // The first line for a domain wins, as in smtproutes.
        p.map_.emplace(address::lowercase(trim(line.substr(0, colon))), *level);
    }
    return p;
}

TlsLevel TlsPolicy::lookup(std::string_view domain) const {
    if (map_.empty())
        return TlsLevel::may;
    std::string host = address::lowercase(domain);
    while (host.ends_with('.'))
        host.pop_back();
    for (size_t i = 0; i <= host.size(); ++i) {
        if (i != 0 && i != host.size() && host[i] != '.')
            continue;
        if (auto it = map_.find(host.substr(i)); it != map_.end())
            return it->second;
    }
    return TlsLevel::may;
}

} // namespace qm::remote

#include "qm/routing.hpp"

#include "qm/address.hpp"
#include "qm/control.hpp"

namespace qm {

namespace {

std::unordered_set<std::string> domain_set(const std::vector<std::string>& lines) {
    std::unordered_set<std::string> out;
    for (const auto& l : lines)
        out.insert(address::lowercase(l));
    return out;
}

} // namespace

void Routing::set_locals(const std::vector<std::string>& lines) {
    locals = domain_set(lines);
}
void Routing::set_percenthack(const std::vector<std::string>& lines) {
    percenthack = domain_set(lines);
}

void Routing::set_virtualdomains(const std::vector<std::string>& lines) {
    virtualdomains.clear();
    for (const auto& l : lines) {
        auto colon = l.find(':');
        if (colon == std::string::npos)
            continue; // qmail's constmap ignores lines without a colon
        // The first line for a key wins, like constmap's first match.
        virtualdomains.emplace(address::lowercase(l.substr(0, colon)), l.substr(colon + 1));
    }
}

Status reload_locals_and_virtualdomains(Routing& r) {
    auto locals = control::read_lines("locals");
    if (!locals)
        return fail(locals.error());
    auto vd = control::read_lines("virtualdomains");
    if (!vd)
        return fail(vd.error());
    if (locals->empty()) {
        auto me = control::me();
        if (!me)
            return fail(me.error());
        locals->push_back(*me);
    }
    r.set_locals(*locals);
    r.set_virtualdomains(*vd);
    return {};
}

Result<Routing> load_routing() {
    Routing r;
    auto envnoathost = control::read_line_or_me("envnoathost");
    if (!envnoathost)
        return fail(envnoathost.error());
    r.envnoathost = *envnoathost;
    auto ph = control::read_lines("percenthack");
    if (!ph)
        return fail(ph.error());
    r.set_percenthack(*ph);
    if (auto s = reload_locals_and_virtualdomains(r); !s)
        return fail(s.error());
    return r;
}

Route route(const Routing& r, std::string_view recipient) {
    std::string addr(recipient);
    auto at = addr.rfind('@');
    if (at == std::string::npos) {
        at = addr.size();
        addr += '@';
        addr += r.envnoathost;
    }
    // percenthack: "a%b@relay" → "a@b" while the domain is listed; each round drops the
    // old domain and turns the last '%' of the local part into '@'.
    while (r.percenthack.contains(address::lowercase(std::string_view(addr).substr(at + 1)))) {
        auto pct = std::string_view(addr).substr(0, at).rfind('%');
        if (pct == std::string_view::npos)
            break;
        addr.resize(at);
        addr[pct] = '@';
        at = pct;
    }
    at = addr.rfind('@');
    const std::string lower = address::lowercase(addr);
    if (r.locals.contains(lower.substr(at + 1)))
        return {true, addr};
    // virtualdomains: whole address, domain, each .suffix, then the empty key.
    for (size_t i = 0; i <= lower.size(); ++i) {
        if (!(i == 0 || i == at + 1 || i == lower.size() || (i > at && lower[i] == '.')))
            continue;
        auto it = r.virtualdomains.find(lower.substr(i));
        if (it == r.virtualdomains.end())
            continue;
        if (it->second.empty())
            break; // an exception: this address is not virtual
        return {true, it->second + "-" + addr};
    }
    return {false, addr};
}

std::string strip_vdom_prepend(const Routing& r, std::string_view address) {
    auto at = address.rfind('@');
    if (at == std::string_view::npos)
        return std::string(address);
    const std::string domain = address::lowercase(address.substr(at + 1));
    const std::string* prepend = nullptr;
    for (size_t i = 0; i < domain.size() && !prepend; ++i) {
        if (i != 0 && domain[i] != '.')
            continue;
        auto it = r.virtualdomains.find(domain.substr(i));
        if (it != r.virtualdomains.end())
            prepend = &it->second;
    }
    if (!prepend || prepend->empty())
        return std::string(address);
    if (!address.starts_with(*prepend) || address.size() <= prepend->size() ||
        address[prepend->size()] != '-')
        return std::string(address);
    return std::string(address.substr(prepend->size() + 1));
}

} // namespace qm

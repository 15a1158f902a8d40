#include "qm/tools/route.hpp"

#include "qm/address.hpp"
#include "qm/control.hpp"

#include <algorithm>

namespace qm::tools {

Result<Routes> load_routes() {
    Routes r;
    auto noat = control::read_line_or_me("envnoathost");
    if (!noat)
        return fail(noat.error());
    r.envnoathost = *noat;
    auto locals = control::read_lines("locals");
    if (!locals)
        return fail(locals.error());
    if (locals->empty()) {
        auto me = control::me();
        if (!me)
            return fail(me.error());
        locals->push_back(*me);
    }
    for (const auto& l : *locals)
        r.locals.push_back(address::lowercase(l));
    auto vd = control::read_lines("virtualdomains");
    if (!vd)
        return fail(vd.error());
    for (const auto& line : *vd) {
        auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        r.virtualdomains.emplace_back(address::lowercase(line.substr(0, colon)),
                                      line.substr(colon + 1));
    }
    return r;
}

bool is_local(const Routes& routes, std::string_view address) {
    std::string addr(address);
    if (addr.find('@') == std::string::npos)
        addr += "@" + routes.envnoathost;
    addr = address::lowercase(addr);
    std::string domain = address::split(addr).domain;
    if (std::find(routes.locals.begin(), routes.locals.end(), domain) != routes.locals.end())
        return true;
    // First match wins in qmail's order: the whole address, the domain, each ".suffix",
    // then the catch-all empty key. An empty prepend is an exception: remote.
    auto lookup = [&](const std::string& key) -> const std::string* {
        for (const auto& [k, prepend] : routes.virtualdomains)
            if (k == key)
                return &prepend;
        return nullptr;
    };
    const std::string* hit = lookup(addr);
    if (!hit)
        hit = lookup(domain);
    for (size_t i = domain.find('.'); !hit && i != std::string::npos; i = domain.find('.', i + 1))
        hit = lookup(domain.substr(i));
    if (!hit)
        hit = lookup("");
    return hit && !hit->empty();
}

} // namespace qm::tools

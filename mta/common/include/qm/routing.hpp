// Where qmail-send sends each recipient (qmail-send(8) "rewrite", qmail-control(5)):
// envnoathost for bare local parts, percenthack, locals, virtualdomains (user@domain,
// domain, .suffix wildcards, the empty catch-all key; an empty prepend is an exception),
// everything else remote. Lookups are case-insensitive like qmail's constmaps.
#pragma once

#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace qm {

struct Routing {
    std::string envnoathost;                     // default: control/me
    std::unordered_set<std::string> locals;      // lowercased domains
    std::unordered_set<std::string> percenthack; // lowercased domains
    // lowercased key ("user@domain", "domain", ".suffix" or "") → prepend (case kept)
    std::unordered_map<std::string, std::string> virtualdomains;

    // From lines as in control/locals, control/percenthack, control/virtualdomains.
    void set_locals(const std::vector<std::string>& lines);
    void set_percenthack(const std::vector<std::string>& lines);
    void set_virtualdomains(const std::vector<std::string>& lines);
};

// Reads control/envnoathost (default me), locals (default me), percenthack, virtualdomains.
[[nodiscard]] Result<Routing> load_routing();
// Rereads only locals and virtualdomains (what SIGHUP does in qmail-send).
[[nodiscard]] Status reload_locals_and_virtualdomains(Routing& r);

struct Route {
    bool local = false;
    std::string address; // the address written to local/N or remote/N
};

[[nodiscard]] Route route(const Routing& r, std::string_view recipient);

// For bounce texts: "prepend-user@domain" back to "user@domain" when domain (or one of its
// .suffixes) is a virtual domain with that prepend (qmail's stripvdomprepend).
[[nodiscard]] std::string strip_vdom_prepend(const Routing& r, std::string_view address);

} // namespace qm

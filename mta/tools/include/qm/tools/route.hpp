// The local-or-remote decision qmail-send makes for each recipient while preprocessing
// todo/N (qmail-send's rewrite(), mta.md 2.3): control/locals, then control/virtualdomains.
// qmail-qread uses it to show messages qmail-send has not preprocessed yet.
#pragma once

#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm::tools {

struct Routes {
    std::string envnoathost;                                         // appended to bare names
    std::vector<std::string> locals;                                 // lowercased domains
    std::vector<std::pair<std::string, std::string>> virtualdomains; // lowercased key, prepend
};

// Reads control/envnoathost (default me), locals (default me) and virtualdomains.
[[nodiscard]] Result<Routes> load_routes();

[[nodiscard]] bool is_local(const Routes& routes, std::string_view address);

} // namespace qm::tools

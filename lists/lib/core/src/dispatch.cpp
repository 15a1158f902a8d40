#include "qm/lists/core/dispatch.hpp"

#include <array>
#include <utility>

namespace qm::lists {

DispatchTarget dispatch_within(const std::string& list, std::string_view rest,
                               const std::function<bool(const std::string&)>& is_file) {
    if (rest.empty())
        return {list, "editor", std::nullopt};
    if (rest == "owner" || rest == "digest-owner")
        return {list, "owner", std::nullopt};
    // ezmlm-idx 7's order; prefixes are matched in their letter case, as qmail-local
    // matches .qmail-list-return-default.
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> prefixed{{
        {"digest-return-", "digest/bouncer"},
        {"return-", "bouncer"},
        {"confirm-", "confirmer"},
        {"discard-", "confirmer"},
        {"accept-", "moderator"},
        {"reject-", "moderator"},
    }};
    for (const auto& [prefix, file] : prefixed)
        if (rest.starts_with(prefix) && is_file(list + "/" + std::string(file)))
            return {list, std::string(file), std::string(rest.substr(prefix.size()))};
    return {list, "manager", std::string(rest)};
}

std::optional<DispatchTarget> dispatch(std::string_view default_part,
                                       const std::function<bool(const std::string&)>& is_list,
                                       const std::function<bool(const std::string&)>& is_file) {
    const std::string whole(default_part);
    if (is_list(whole))
        return dispatch_within(whole, "", is_file);
    for (size_t dash = whole.size(); dash > 0;) {
        dash = whole.rfind('-', dash - 1);
        if (dash == std::string::npos || dash == 0)
            break;
        const std::string list = whole.substr(0, dash);
        if (is_list(list))
            return dispatch_within(list, std::string_view(whole).substr(dash + 1), is_file);
    }
    return std::nullopt;
}

} // namespace qm::lists

#include "qm/lists/core/sublist.hpp"

#include "qm/address.hpp"
#include "qm/lists/core/command_address.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/subscribers.hpp"

#include <algorithm>
#include <charconv>

namespace qm::lists {

using address::lowercase;

namespace {

std::optional<unsigned> hash_bound(std::string_view text) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || v > 52)
        return std::nullopt;
    return v;
}

Failure bad_rule(std::string_view line, std::string_view why) {
    return perm("5.3.5", "bad split rule \"" + std::string(line) + "\": " + std::string(why));
}

} // namespace

Result<SplitRule> parse_split_rule(std::string_view line) {
    std::vector<std::string_view> parts;
    for (size_t pos = 0;;) {
        const size_t colon = line.find(':', pos);
        parts.push_back(line.substr(pos, colon == std::string_view::npos ? colon : colon - pos));
        if (colon == std::string_view::npos)
            break;
        pos = colon + 1;
    }
    SplitRule r;
    if (parts.size() == 4) {
        auto lo = hash_bound(parts[1]);
        auto hi = hash_bound(parts[2]);
        if (!lo || !hi || *lo > *hi)
            return fail(bad_rule(line, "the hash range must be lo:hi with 0 <= lo <= hi <= 52"));
        r.lo = *lo;
        r.hi = *hi;
    } else if (parts.size() != 2) {
        return fail(bad_rule(line, "it must be domain:sublist@host or domain:lo:hi:sublist@host"));
    }
    r.domain = lowercase(parts.front());
    auto sublist = normalise_address(parts.back());
    if (!sublist)
        return fail(bad_rule(line, sublist.error().text));
    r.sublist = std::move(*sublist);
    return r;
}

Result<std::vector<SplitRule>> read_split(const std::string& dir, const std::string& file) {
    // read_lines takes a directory and a name in it.
    std::string in = dir;
    std::string name = file;
    if (auto slash = file.rfind('/'); slash != std::string::npos) {
        in = file.front() == '/' ? file.substr(0, slash) : dir + "/" + file.substr(0, slash);
        name = file.substr(slash + 1);
    }
    auto lines = read_lines(in, name);
    if (!lines)
        return fail(lines.error());
    std::vector<SplitRule> rules;
    for (const auto& l : *lines) {
        if (l.starts_with('#'))
            continue;
        auto r = parse_split_rule(l);
        if (!r)
            return fail(temp("4.3.5", in + "/" + name + ": " + r.error().text));
        rules.push_back(std::move(*r));
    }
    return rules;
}

std::optional<std::string> split_target(const std::vector<SplitRule>& rules,
                                        std::string_view address) {
    const size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return std::nullopt;
    const std::string domain = lowercase(address.substr(at + 1));
    const auto hash = static_cast<unsigned>(subscriber_file(address) - '@');
    for (const auto& r : rules) {
        const bool domain_matches =
            r.domain.empty() || domain == r.domain ||
            (domain.size() > r.domain.size() && domain.ends_with("." + r.domain));
        if (domain_matches && hash >= r.lo && hash <= r.hi)
            return r.sublist;
    }
    return std::nullopt;
}

Result<std::vector<std::string>> post_recipients(const std::string& dir) {
    auto rules = read_split(dir);
    if (!rules)
        return fail(rules.error());
    std::vector<std::string> out;
    if (auto s = for_each_subscriber(dir,
                                     [&](std::string_view a) {
                                         if (!split_target(*rules, a))
                                             out.emplace_back(a);
                                     });
        !s)
        return fail(s.error());
    for (const auto& r : *rules)
        if (std::find(out.begin(), out.end(), r.sublist) == out.end())
            out.push_back(r.sublist);
    return out;
}

Result<std::optional<std::string>> read_parent(const std::string& dir) {
    return read_setting(dir, "sublist");
}

Result<std::optional<std::string>> read_parent_return(const std::string& dir) {
    return read_setting(dir, "sublistreturn");
}

bool from_parent(std::string_view parent, std::string_view sender,
                 const std::optional<std::string>& return_prefix) {
    const size_t pat = parent.rfind('@');
    const size_t sat = sender.rfind('@');
    if (pat == std::string_view::npos || sat == std::string_view::npos)
        return false;
    const std::string prefix = return_prefix && !return_prefix->empty()
                                   ? *return_prefix
                                   : std::string(parent.substr(0, pat)) + "-return-";
    return sender.substr(0, sat).starts_with(prefix) &&
           lowercase(sender.substr(sat + 1)) == lowercase(parent.substr(pat + 1));
}

std::optional<std::string> split_request(const std::vector<SplitRule>& rules,
                                         std::string_view request, std::string_view sender) {
    std::string_view verb = request;
    std::optional<std::string> target;
    const size_t dash = request.find('-');
    if (dash != std::string_view::npos) {
        verb = request.substr(0, dash);
        target = decode_target(request.substr(dash + 1));
        if (!target)
            return std::nullopt; // a malformed target: ezmlm-manage explains, not us
    }
    const std::string v = lowercase(verb);
    if (v != "subscribe" && v != "unsubscribe")
        return std::nullopt;
    auto address = normalise_address(target ? *target : sender);
    if (!address)
        return std::nullopt;
    auto sublist = split_target(rules, *address);
    if (!sublist)
        return std::nullopt;
    const size_t at = sublist->rfind('@');
    return sublist->substr(0, at) + "-" + v + "-" + encode_target(*address) + sublist->substr(at);
}

} // namespace qm::lists

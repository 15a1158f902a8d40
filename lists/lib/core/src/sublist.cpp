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

// A hash bound of a 7.x rule; empty is the default.
std::optional<unsigned> hash_bound(std::string_view text, unsigned empty) {
    if (text.empty())
        return empty;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v > 52)
        return std::nullopt;
    return v;
}

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

Failure bad_rule(std::string_view line, std::string_view why) {
    return perm("5.3.5", "bad split rule \"" + std::string(line) + "\": " + std::string(why));
}

} // namespace

Result<SplitRule> parse_split_rule(std::string_view line, std::string_view host) {
    // dom:lo:hi:name splits at the first three colons only; a 7.x rule has at least two.
    std::vector<std::string_view> parts;
    for (size_t pos = 0;;) {
        const size_t colon = parts.size() < 3 ? line.find(':', pos) : std::string_view::npos;
        parts.push_back(line.substr(pos, colon == std::string_view::npos ? colon : colon - pos));
        if (colon == std::string_view::npos)
            break;
        pos = colon + 1;
    }
    SplitRule r;
    r.domain = lowercase(trim_blanks(parts.front()));
    std::string_view name;
    if (parts.size() == 2) {
        // Our older short form: ezmlm-idx has no such line (its ezmlm-split stops on it).
        r.match = SplitRule::Match::domain_suffix;
        name = trim_blanks(parts[1]);
        if (name.empty())
            return fail(bad_rule(line, "the short form domain:sublist@host needs a sublist"));
    } else if (parts.size() >= 3) {
        auto lo = hash_bound(trim_blanks(parts[1]), 0);
        auto hi = hash_bound(trim_blanks(parts[2]), 52);
        if (!lo || !hi || *lo > *hi)
            return fail(bad_rule(line, "the hash range must be lo:hi with 0 <= lo <= hi <= 52"));
        r.lo = *lo;
        r.hi = *hi;
        if (parts.size() == 4)
            name = trim_blanks(parts[3]);
    } else {
        return fail(bad_rule(line, "it must be domain:lo:hi:sublist@host"));
    }
    if (name.empty())
        return r; // this list
    std::string sublist(name);
    if (sublist.find('@') == std::string::npos) {
        if (host.empty())
            return fail(bad_rule(line, "the sublist has no @host"));
        sublist += "@" + std::string(host);
    }
    auto normalised = normalise_address(sublist);
    if (!normalised)
        return fail(bad_rule(line, normalised.error().text));
    r.sublist = std::move(*normalised);
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
    if (lines->empty())
        return rules;
    auto list = read_list(dir);
    if (!list)
        return fail(list.error());
    for (const auto& l : *lines) {
        if (l.starts_with('#'))
            continue;
        auto r = parse_split_rule(l, list->outhost);
        if (!r)
            return fail(temp("4.3.5", in + "/" + name + ": " + r.error().text));
        rules.push_back(std::move(*r));
    }
    return rules;
}

unsigned split_hash(std::string_view address) {
    return subhash64(lowercase(address));
}

std::string split_domain_key(std::string_view address) {
    const size_t at = address.rfind('@');
    std::string_view domain = at == std::string_view::npos ? address : address.substr(at + 1);
    if (domain.ends_with('.'))
        domain.remove_suffix(1);
    const size_t last = domain.rfind('.');
    if (last == std::string_view::npos)
        return lowercase(domain);
    const size_t before = domain.rfind('.', last == 0 ? 0 : last - 1);
    const std::string_view second = before == std::string_view::npos || before >= last
                                        ? domain.substr(0, last)
                                        : domain.substr(before + 1, last - before - 1);
    return lowercase(std::string(domain.substr(last + 1)) + "." + std::string(second));
}

std::optional<std::string> split_target(const std::vector<SplitRule>& rules,
                                        std::string_view address) {
    const size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return std::nullopt;
    const std::string domain = lowercase(address.substr(at + 1));
    const std::string key = split_domain_key(address);
    const unsigned hash = split_hash(address);
    for (const auto& r : rules) {
        const bool domain_matches =
            r.domain.empty() || (r.match == SplitRule::Match::key_prefix
                                     ? key.starts_with(r.domain)
                                     : domain == r.domain || (domain.size() > r.domain.size() &&
                                                              domain.ends_with("." + r.domain)));
        if (domain_matches && hash >= r.lo && hash <= r.hi) {
            if (r.sublist.empty())
                return std::nullopt;
            return r.sublist;
        }
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
        if (!r.sublist.empty() && std::find(out.begin(), out.end(), r.sublist) == out.end())
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

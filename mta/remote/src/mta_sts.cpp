#include "qm/remote/mta_sts.hpp"

#include "qm/address.hpp"
#include "qm/fd.hpp"

#include <fcntl.h>

#include <algorithm>
#include <charconv>

namespace qm::remote::sts {

namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_wsp(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_wsp(s.back()))
        s.remove_suffix(1);
    return s;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string host_key(std::string_view host) {
    std::string h = address::lowercase(host);
    while (h.ends_with('.'))
        h.pop_back();
    return h;
}

// Splits text into lines ended by LF or CRLF (the last line may lack its end).
template <class F>
void for_each_line(std::string_view text, F f) {
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        f(line);
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
}

std::string printable(std::string_view s) {
    std::string out;
    for (const char c : s.substr(0, 80))
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

} // namespace

std::string_view mode_name(Mode m) {
    switch (m) {
    case Mode::enforce:
        return "enforce";
    case Mode::testing:
        return "testing";
    case Mode::none:
        return "none";
    }
    return "none";
}

bool mx_pattern_matches(std::string_view pattern, std::string_view host) {
    const std::string p = host_key(pattern);
    const std::string h = host_key(host);
    if (p.empty() || h.empty())
        return false;
    if (!p.starts_with("*.")) {
        return p == h;
    }
    // The wildcard stands for exactly one label, the leftmost (RFC 8461 4.1).
    const size_t dot = h.find('.');
    return dot != std::string::npos && dot > 0 && std::string_view(h).substr(dot) == p.substr(1);
}

bool Policy::names(std::string_view host) const {
    for (const auto& pattern : mx)
        if (mx_pattern_matches(pattern, host))
            return true;
    return false;
}

std::optional<std::string> txt_policy_id(const std::vector<std::string>& records) {
    std::optional<std::string> id;
    int found = 0;
    for (const auto& r : records) {
        // "v=STSv1" first, then ";" (RFC 8461 3.1, with erratum 6285: records that do not
        // begin "v=STSv1;" are someone else's).
        std::string_view rest(r);
        if (!rest.starts_with("v=STSv1"))
            continue;
        rest.remove_prefix(7);
        rest = trim(rest);
        if (!rest.empty() && rest.front() != ';')
            continue; // "v=STSv10" is not ours
        ++found;
        std::optional<std::string> this_id;
        while (!rest.empty()) {
            rest.remove_prefix(1); // the ';'
            const size_t semi = rest.find(';');
            const std::string_view field = trim(rest.substr(0, semi));
            rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi);
            const size_t eq = field.find('=');
            if (eq == std::string_view::npos)
                continue;
            const std::string_view key = field.substr(0, eq);
            const std::string_view value = field.substr(eq + 1);
            if (key != "id" || this_id)
                continue;
            if (value.empty() || value.size() > 32 ||
                !std::all_of(value.begin(), value.end(), is_alnum))
                break;
            this_id = std::string(value);
        }
        id = std::move(this_id);
    }
    if (found != 1)
        return std::nullopt;
    return id;
}

Result<Policy> parse_policy(std::string_view text) {
    if (text.size() > policy_size_limit)
        return fail(temp("4.7.5", "the policy is larger than 64 KiB"));
    Policy p;
    bool have_version = false, have_mode = false, have_max_age = false;
    std::string error;
    size_t line_no = 0;
    for_each_line(text, [&](std::string_view line) {
        ++line_no;
        if (!error.empty() || trim(line).empty())
            return;
        const auto where = "line " + std::to_string(line_no) + ": ";
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            error = where + "no colon in \"" + printable(line) + "\"";
            return;
        }
        const std::string_view key = trim(line.substr(0, colon));
        const std::string_view value = trim(line.substr(colon + 1));
        auto once = [&](bool& seen) {
            if (seen)
                error = where + std::string(key) + " given twice";
            seen = true;
            return error.empty();
        };
        if (key == "version") {
            if (once(have_version) && value != "STSv1")
                error = where + "version is not STSv1: \"" + printable(value) + "\"";
        } else if (key == "mode") {
            if (!once(have_mode))
                return;
            if (value == "enforce")
                p.mode = Mode::enforce;
            else if (value == "testing")
                p.mode = Mode::testing;
            else if (value == "none")
                p.mode = Mode::none;
            else
                error = where + "unknown mode \"" + printable(value) + "\"";
        } else if (key == "max_age") {
            if (!once(have_max_age))
                return;
            if (value.empty() || !std::all_of(value.begin(), value.end(), is_digit)) {
                error = where + "max_age is not a number of seconds: \"" + printable(value) + "\"";
                return;
            }
            unsigned long long age = max_age_limit; // more digits than fit: the cap
            (void)std::from_chars(value.data(), value.data() + value.size(), age);
            p.max_age = static_cast<long>(std::min<unsigned long long>(age, max_age_limit));
        } else if (key == "mx") {
            if (value.empty() || value.find_first_of(" \t") != std::string_view::npos)
                error = where + "mx is not a host name: \"" + printable(value) + "\"";
            else
                p.mx.emplace_back(value);
        }
        // Other keys are extensions this reader does not know (RFC 8461 3.2).
    });
    if (!error.empty())
        return fail(temp("4.7.5", error));
    if (!have_version)
        return fail(temp("4.7.5", "no version"));
    if (!have_mode)
        return fail(temp("4.7.5", "no mode"));
    if (!have_max_age)
        return fail(temp("4.7.5", "no max_age"));
    if (p.mode != Mode::none && p.mx.empty())
        return fail(temp("4.7.5", "no mx"));
    return p;
}

std::string cache_text(const Policy& policy, std::string_view text) {
    return "id: " + policy.id + "\nfetched: " + std::to_string(policy.fetched) + "\n" +
           std::string(text);
}

Result<Policy> parse_cache_text(std::string_view text) {
    std::string_view id, fetched;
    for (auto* field : {&id, &fetched}) {
        const size_t nl = text.find('\n');
        if (nl == std::string_view::npos)
            return fail(temp("4.3.0", "a cached policy is cut short"));
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        const size_t colon = line.find(": ");
        if (colon == std::string_view::npos)
            return fail(temp("4.3.0", "a cached policy's heading is malformed"));
        *field = line.substr(colon + 2);
    }
    auto policy = parse_policy(text);
    if (!policy)
        return policy;
    policy->id = std::string(id);
    long long when = 0;
    const auto [end, ec] = std::from_chars(fetched.data(), fetched.data() + fetched.size(), when);
    if (ec != std::errc() || end != fetched.data() + fetched.size())
        return fail(temp("4.3.0", "a cached policy's fetch time is not a number"));
    policy->fetched = static_cast<std::time_t>(when);
    return policy;
}

std::string PolicyCache::file_of(const std::string& domain) const {
    // The domain comes from a recipient address: only plain host names make file names.
    if (dir_.empty() || domain.empty() || domain.front() == '.' || domain.size() > 253)
        return {};
    for (const char c : domain)
        if (!is_alnum(c) && c != '.' && c != '-' && c != '_')
            return {};
    return dir_ + "/" + domain;
}

std::optional<Policy> PolicyCache::find(const std::string& domain, std::time_t now) {
    const std::string key = host_key(domain);
    if (auto it = memory_.find(key); it != memory_.end()) {
        if (!it->second.expired(now))
            return it->second;
        memory_.erase(it);
        return std::nullopt;
    }
    const std::string path = file_of(key);
    if (path.empty())
        return std::nullopt;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd)
        return std::nullopt;
    auto text = read_all(fd.get()); // the directory is qmail-remote's own, 0700
    if (!text)
        return std::nullopt;
    auto policy = parse_cache_text(*text);
    if (!policy || policy->expired(now))
        return std::nullopt;
    memory_[key] = *policy;
    return *policy;
}

void PolicyCache::store(const std::string& domain, const Policy& policy, std::string_view text) {
    const std::string key = host_key(domain);
    memory_[key] = policy;
    const std::string path = file_of(key);
    if (path.empty())
        return;
    // A whole file or none; a failure (a full disk) leaves the policy in memory only.
    (void)write_file_atomic(path, cache_text(policy, text), 0600);
}

} // namespace qm::remote::sts

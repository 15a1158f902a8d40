#include "qm/lists/post/dmarc.hpp"

#include "qm/address.hpp"
#include "qm/dns/lookup.hpp"
#include "qm/fd.hpp"
#include "qm/inject/address_list.hpp"
#include "qm/inject/header.hpp"
#include "qm/inject/token822.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/mailauth/public_suffix.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <set>

namespace qm::lists {

using address::lowercase;

namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::optional<DmarcPolicy> policy_value(std::string_view v) {
    const std::string lc = lowercase(trim(v));
    if (lc == "none")
        return DmarcPolicy::none;
    if (lc == "quarantine")
        return DmarcPolicy::quarantine;
    if (lc == "reject")
        return DmarcPolicy::reject;
    return std::nullopt;
}

const char* cache_word(DmarcCache::Entry e) {
    switch (e) {
    case DmarcCache::Entry::none:
        return "none";
    case DmarcCache::Entry::quarantine:
        return "quarantine";
    case DmarcCache::Entry::reject:
        return "reject";
    case DmarcCache::Entry::unknown:
        return "unknown";
    }
    return "unknown";
}

std::optional<DmarcCache::Entry> cache_entry(std::string_view word) {
    if (word == "none")
        return DmarcCache::Entry::none;
    if (word == "quarantine")
        return DmarcCache::Entry::quarantine;
    if (word == "reject")
        return DmarcCache::Entry::reject;
    if (word == "unknown")
        return DmarcCache::Entry::unknown;
    return std::nullopt;
}

DmarcCache::Entry entry_of(DmarcPolicy p) {
    switch (p) {
    case DmarcPolicy::none:
        return DmarcCache::Entry::none;
    case DmarcPolicy::quarantine:
        return DmarcCache::Entry::quarantine;
    case DmarcPolicy::reject:
        return DmarcCache::Entry::reject;
    }
    return DmarcCache::Entry::none;
}

std::optional<std::string_view> first_field(const ParsedPost& post, std::string_view name,
                                            size_t* index = nullptr) {
    for (size_t i = 0; i < post.fields.size(); ++i)
        if (post.fields[i].name == name) {
            if (index)
                *index = i;
            return post.fields[i].value();
        }
    return std::nullopt;
}

std::vector<inject::ListAddress> addresses_of(std::optional<std::string_view> value) {
    if (!value)
        return {};
    auto parsed = inject::parse_address_list(*value);
    if (!parsed)
        return {};
    std::vector<inject::ListAddress> out;
    for (auto& a : *parsed)
        if (!a.address.empty())
            out.push_back(std::move(a));
    return out;
}

bool is_encoded_word(std::string_view w) {
    return w.size() > 8 && w.starts_with("=?") && w.ends_with("?=");
}

// "<poster> via <list>" as a phrase. Encoded words (RFC 2047) must stay atoms: inside a
// quoted string a reader would show them undecoded.
inject::Tokens via_phrase(std::string_view poster, std::string_view list) {
    bool encoded = false;
    std::vector<std::string_view> words;
    for (size_t pos = 0; pos < poster.size();) {
        const size_t start = poster.find_first_not_of(' ', pos);
        if (start == std::string_view::npos)
            break;
        const size_t end = std::min(poster.find(' ', start), poster.size());
        words.push_back(poster.substr(start, end - start));
        encoded = encoded || is_encoded_word(words.back());
        pos = end;
    }
    if (!encoded)
        return {inject::Token{inject::TokenKind::quoted,
                              std::string(poster) + " via " + std::string(list)}};
    inject::Tokens out;
    for (auto w : words)
        out.push_back(inject::word_token(w));
    out.push_back(inject::word_token("via"));
    out.push_back(inject::word_token(list));
    return out;
}

std::string field_line(std::string_view name, std::string_view value) {
    return std::string(name) + ": " + std::string(trim(value)) + "\n";
}

} // namespace

std::optional<DmarcRecord> parse_dmarc_record(std::string_view txt) {
    std::vector<std::string_view> tags;
    for (size_t pos = 0; pos <= txt.size();) {
        size_t semi = txt.find(';', pos);
        if (semi == std::string_view::npos)
            semi = txt.size();
        tags.push_back(trim(txt.substr(pos, semi - pos)));
        pos = semi + 1;
    }
    auto split_tag = [](std::string_view tag) -> std::pair<std::string, std::string_view> {
        const size_t eq = tag.find('=');
        if (eq == std::string_view::npos)
            return {lowercase(tag), {}};
        return {lowercase(trim(tag.substr(0, eq))), trim(tag.substr(eq + 1))};
    };
    if (tags.empty())
        return std::nullopt;
    auto [v, version] = split_tag(tags[0]);
    // The version tag must come first and be exactly DMARC1 (RFC 7489 6.3, 6.4).
    if (v != "v" || version != "DMARC1")
        return std::nullopt;
    DmarcRecord r;
    for (size_t i = 1; i < tags.size(); ++i) {
        auto [name, value] = split_tag(tags[i]);
        if (name == "p")
            r.policy = policy_value(value).value_or(DmarcPolicy::none);
        else if (name == "sp")
            r.subdomain_policy = policy_value(value);
    }
    return r;
}

std::optional<DmarcRecord> select_dmarc_record(const std::vector<std::string>& txt) {
    std::optional<DmarcRecord> found;
    for (const auto& t : txt) {
        auto r = parse_dmarc_record(t);
        if (!r)
            continue;
        if (found)
            return std::nullopt; // several DMARC records: none applies
        found = r;
    }
    return found;
}

std::string organizational_domain(std::string_view domain) {
    return mailauth::organizational_domain(domain);
}

TxtLookup dns_txt_lookup() {
    auto config = std::make_shared<std::optional<dns::Config>>();
    return [config](const std::string& name) -> Result<std::vector<std::string>> {
        if (!*config) {
            auto c = dns::load_config();
            if (!c)
                return fail(c.error());
            c->timeout_ms = 2000;
            c->tries = 2;
            *config = *c;
        }
        return dns::resolve_txt(**config, name);
    };
}

Result<DmarcPolicy> lookup_dmarc_policy(std::string_view domain, const TxtLookup& lookup) {
    std::string d = lowercase(domain);
    while (d.ends_with('.'))
        d.pop_back();
    auto own = lookup("_dmarc." + d);
    if (!own)
        return fail(own.error());
    if (auto r = select_dmarc_record(*own))
        return r->policy;
    const std::string org = organizational_domain(d);
    if (org == d)
        return DmarcPolicy::none;
    auto parent = lookup("_dmarc." + org);
    if (!parent)
        return fail(parent.error());
    if (auto r = select_dmarc_record(*parent))
        return r->subdomain_policy.value_or(r->policy);
    return DmarcPolicy::none;
}

Result<DmarcCache> DmarcCache::load(const std::string& dir) {
    DmarcCache c;
    c.path_ = dir + "/dmarccache";
    auto file = read_file(dir, "dmarccache");
    if (!file)
        return fail(file.error());
    if (!*file)
        return c;
    const std::string& text = **file;
    // A line that does not parse (a crash cannot leave one, the file is replaced
    // atomically; an editor might) is dropped: the cache is only a cache.
    for (size_t pos = 0; pos < text.size();) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos)
            nl = text.size();
        const std::string_view line = std::string_view(text).substr(pos, nl - pos);
        pos = nl + 1;
        const size_t a = line.find(' ');
        const size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
        if (b == std::string_view::npos)
            continue;
        auto entry = cache_entry(line.substr(a + 1, b - a - 1));
        std::time_t expires = 0;
        const auto num = line.substr(b + 1);
        auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), expires);
        if (!entry || ec != std::errc{} || end != num.data() + num.size())
            continue;
        c.entries_[std::string(line.substr(0, a))] = {*entry, expires};
    }
    return c;
}

std::optional<DmarcCache::Entry> DmarcCache::get(const std::string& domain, std::time_t now) const {
    auto it = entries_.find(domain);
    if (it == entries_.end() || it->second.second <= now)
        return std::nullopt;
    return it->second.first;
}

void DmarcCache::put(const std::string& domain, Entry e, std::time_t expires) {
    entries_[domain] = {e, expires};
    changed_ = true;
}

Status DmarcCache::save(std::time_t now) const {
    std::string out;
    for (const auto& [domain, v] : entries_)
        if (v.second > now)
            out += domain + " " + cache_word(v.first) + " " + std::to_string(v.second) + "\n";
    return write_file_atomic(path_, out);
}

Result<DmarcMode> read_dmarc_mode(const std::string& dir) {
    auto setting = read_setting(dir, "dmarc");
    if (!setting)
        return fail(setting.error());
    DmarcMode mode = DmarcMode::automatic;
    if (*setting) {
        const std::string v = lowercase(trim(**setting));
        if (v == "auto")
            mode = DmarcMode::automatic;
        else if (v == "always")
            mode = DmarcMode::always;
        else if (v == "never")
            mode = DmarcMode::never;
        else
            return fail(temp("4.3.5", dir + "/dmarc says \"" + **setting +
                                          "\"; it must be auto, always or never"));
    }
    // ezmlm-idx's rewritefrom flag forces the rewrite, unless dmarc says never.
    if (mode == DmarcMode::automatic && has_flag(dir, "rewritefrom"))
        mode = DmarcMode::always;
    return mode;
}

std::vector<std::string> from_domains(const ParsedPost& post) {
    std::vector<std::string> out;
    for (const auto& a : addresses_of(first_field(post, "from"))) {
        const size_t at = a.address.rfind('@');
        if (at == std::string::npos || at + 1 == a.address.size())
            continue;
        std::string d = lowercase(a.address.substr(at + 1));
        if (std::find(out.begin(), out.end(), d) == out.end())
            out.push_back(std::move(d));
    }
    return out;
}

std::optional<ParsedPost> munge_from(const ParsedPost& post, const ListInfo& list,
                                     bool reply_to_list) {
    size_t from_index = 0;
    const auto from_value = first_field(post, "from", &from_index);
    const auto from = addresses_of(from_value);
    if (from.empty())
        return std::nullopt;
    const inject::ListAddress& poster = from.front();
    std::string name = poster.display.empty() ? poster.group : poster.display;
    if (name.empty())
        name = poster.address;
    // A folded comment or quoted string may hold line breaks; the phrase is one line.
    std::replace_if(
        name.begin(), name.end(), [](char c) { return c == '\r' || c == '\n' || c == '\t'; }, ' ');

    auto list_address = inject::tokenize(list.address());
    if (!list_address)
        return std::nullopt;
    inject::Tokens tokens = via_phrase(name, list.outlocal);
    tokens.push_back({inject::TokenKind::left, {}});
    tokens.insert(tokens.end(), list_address->begin(), list_address->end());
    tokens.push_back({inject::TokenKind::right, {}});
    const std::string original(trim(*from_value));

    ParsedPost out = post;
    std::vector<HeaderField> added;
    const auto reply_to = first_field(post, "reply-to");
    if (!reply_to && !reply_to_list) {
        added.emplace_back(field_line("Reply-To", original));
    } else {
        // The poster asked for replies elsewhere, or the list sets Reply-To to itself
        // (dir/replytolist, ezmlm-idx 7's Cc then); the poster's own address goes to Cc
        // so that a reply to all still reaches them.
        size_t cc_index = 0;
        const auto cc = first_field(post, "cc", &cc_index);
        std::set<std::string> present;
        for (const auto& v : {reply_to, cc})
            for (const auto& a : addresses_of(v))
                present.insert(lowercase(a.address));
        const bool all_present = std::all_of(from.begin(), from.end(), [&](const auto& a) {
            return present.contains(lowercase(a.address));
        });
        if (!all_present) {
            if (cc)
                out.fields[cc_index] =
                    HeaderField(field_line(inject::field_name(post.fields[cc_index].text),
                                           std::string(trim(*cc)) + ",\n " + original));
            else
                added.emplace_back(field_line("Cc", original));
        }
    }
    out.fields[from_index] = HeaderField("From: " + inject::unparse(tokens));
    out.fields.insert(out.fields.begin() + static_cast<std::ptrdiff_t>(from_index) + 1,
                      added.begin(), added.end());
    return out;
}

Result<ParsedPost> apply_dmarc(const std::string& dir, const ListInfo& list, const ParsedPost& post,
                               const TxtLookup& lookup) {
    auto mode = read_dmarc_mode(dir);
    if (!mode)
        return fail(mode.error());
    // A sublist's posts come from its parent, which has made the decision already.
    if (*mode == DmarcMode::never || has_flag(dir, "sublist"))
        return post;
    bool rewrite = *mode == DmarcMode::always;
    if (!rewrite) {
        const auto domains = from_domains(post);
        if (domains.empty())
            return post;
        auto cache = DmarcCache::load(dir);
        if (!cache)
            return fail(cache.error());
        const std::time_t t = now();
        for (const auto& d : domains) {
            auto entry = cache->get(d, t);
            if (!entry) {
                auto policy = lookup_dmarc_policy(d, lookup);
                entry = policy ? entry_of(*policy) : DmarcCache::Entry::unknown;
                cache->put(d, *entry, t + (policy ? dmarc_cache_ttl : dmarc_failure_cache_ttl));
            }
            if (*entry != DmarcCache::Entry::none)
                rewrite = true;
        }
        if (cache->changed())
            if (auto s = cache->save(t); !s)
                return fail(s.error());
    }
    if (!rewrite)
        return post;
    auto munged = munge_from(post, list, has_flag(dir, "replytolist"));
    return munged ? std::move(*munged) : post;
}

} // namespace qm::lists

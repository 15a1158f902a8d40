#include "qm/lists/archive/digest.hpp"

#include "qm/date.hpp"
#include "qm/envelope.hpp"
#include "qm/lists/core/reply.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/queue_client.hpp"

#include <charconv>
#include <vector>

namespace qm::lists {

namespace {

// "A:B:C" -> up to three numbers; missing ones are 0 (ezmlm's scan_ulong).
std::vector<unsigned long> colon_numbers(std::string_view s) {
    std::vector<unsigned long> out;
    while (out.size() < 3) {
        unsigned long n = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        out.push_back(ec == std::errc{} ? n : 0);
        s.remove_prefix(static_cast<size_t>(p - s.data()));
        if (s.empty() || s.front() != ':')
            break;
        s.remove_prefix(1);
    }
    out.resize(3, 0);
    return out;
}

Result<std::optional<unsigned long>> number_setting(const std::string& dir, const char* name) {
    auto line = read_setting(dir, name);
    if (!line)
        return fail(line.error());
    if (!*line)
        return std::optional<unsigned long>{};
    unsigned long n = 0;
    const std::string& s = **line;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{})
        return fail(temp("4.3.0", dir + "/" + name + " is not a number"));
    return std::optional<unsigned long>(n);
}

Status put(const std::string& dir, const std::string& name, const std::string& text) {
    if (auto w = write_file_atomic(dir + "/" + name, text, 0644); !w)
        return fail(temp("4.3.0", "unable to write " + dir + "/" + name + ": " + w.error().text));
    return {};
}

Status write_state(const std::string& dir, const DigestState& s) {
    return put(dir, "dignum",
               std::to_string(s.last) + ":" + std::to_string(s.kbytes) + ":" +
                   std::to_string(static_cast<unsigned long>(s.when)) + "\n");
}

bool has_field(const std::vector<std::string>& lines, std::string_view name) {
    for (const auto& l : lines) {
        auto colon = l.find(':');
        if (colon == std::string::npos || colon != name.size())
            continue;
        bool same = true;
        for (size_t i = 0; i < colon && same; ++i)
            same = (l[i] | 0x20) == (name[i] | 0x20);
        if (same)
            return true;
    }
    return false;
}

// The digest's header fields beyond format_reply's: dir/headeradd (as on posts), then the
// RFC 2369 fields of the digest list unless headeradd has them.
Result<std::vector<std::string>> digest_headers(const ListInfo& list, unsigned long first) {
    auto add = read_lines(list.dir, "headeradd");
    if (!add)
        return fail(add.error());
    std::vector<std::string> out;
    // As ezmlm-get: <#l#> is the digest list (list-digest), <#L#> the list itself, so
    // that ezmlm-idx 7's headeradd gives a digest the digest list's List-Help and the
    // list's List-Post.
    ListInfo digest_list = list;
    digest_list.outlocal += "-digest";
    for (const auto& l : *add)
        if (!l.starts_with("#"))
            out.push_back(expand_header_tags(l, digest_list, first, list.outlocal));
    auto listid = read_setting(list.dir, "listid");
    if (!listid)
        return fail(listid.error());
    const std::vector<std::pair<std::string, std::string>> generated = {
        {"List-Id", *listid ? **listid : "<" + list.outlocal + "." + list.outhost + ">"},
        {"List-Post", "<mailto:" + list.address() + ">"},
        {"List-Help", "<mailto:" + list.command("digest-help") + ">"},
        {"List-Unsubscribe", "<mailto:" + list.command("digest-unsubscribe") + ">"},
        {"List-Subscribe", "<mailto:" + list.command("digest-subscribe") + ">"},
    };
    for (const auto& [name, value] : generated)
        if (!has_field(out, name))
            out.push_back(name + ": " + value);
    return out;
}

} // namespace

Result<DigestState> read_digest_state(const std::string& dir) {
    auto line = read_setting(dir, "dignum");
    if (!line)
        return fail(line.error());
    DigestState s;
    if (!*line)
        return s;
    auto n = colon_numbers(**line);
    s.last = n[0];
    s.kbytes = n[1];
    s.when = static_cast<std::time_t>(n[2]);
    return s;
}

Result<unsigned long> read_digest_issue(const std::string& dir) {
    auto line = read_setting(dir, "digissue");
    if (!line)
        return fail(line.error());
    return *line ? colon_numbers(**line)[0] : 0UL;
}

Result<DigestThresholds> read_digest_thresholds(const std::string& dir) {
    DigestThresholds t;
    for (auto [name, field] : {std::pair<const char*, unsigned long*>{"digcount", &t.count},
                               {"digsize", &t.kbytes},
                               {"digtime", &t.hours}}) {
        auto v = number_setting(dir, name);
        if (!v)
            return fail(v.error());
        if (*v)
            *field = **v;
    }
    return t;
}

bool digest_due(const DigestThresholds& t, const DigestState& s, const Num& num, std::time_t now) {
    if (num.last <= s.last)
        return false; // nothing undigested
    const bool time = t.hours != 0 && s.when + static_cast<std::time_t>(t.hours) * 3600 <= now;
    // num's K counts 256-byte units, digsize kilobytes.
    const bool size = t.kbytes != 0 && s.kbytes + t.kbytes * 4 <= num.kbytes.value_or(0);
    const bool count = t.count != 0 && s.last + t.count <= num.last;
    return time || size || count;
}

bool tstdig_criteria_met(const DigestThresholds& t, const DigestState& s, const Num& num,
                         std::time_t now) {
    const bool time = t.hours != 0 && s.when + static_cast<std::time_t>(t.hours) * 3600 <= now;
    const bool size = t.kbytes != 0 && s.kbytes + t.kbytes * 4 <= num.kbytes.value_or(0);
    const bool count = t.count != 0 && s.last + t.count <= num.last;
    return time || size || count;
}

Result<bool> claim_digest_run(const std::string& dir, const DigestState& s, std::time_t now) {
    auto lock = Lock::acquire(dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto last_run = number_setting(dir, "tstdig");
    // An unreadable timestamp counts as none, as in ezmlm-idx 7 (which scans it leniently).
    const std::time_t claimed =
        last_run && *last_run ? static_cast<std::time_t>(**last_run) : std::time_t{0};
    if (claimed + 3600 >= now && claimed > s.when)
        return false;
    if (auto w = put(dir, "tstdig", std::to_string(static_cast<unsigned long>(now)) + "\n"); !w)
        return fail(w.error());
    return true;
}

Result<std::optional<DigestSent>> send_digest(const std::string& dir, DigestTrigger trigger,
                                              std::optional<CollectionFormat> format,
                                              std::time_t now) {
    auto lock = Lock::acquire(dir + "/lock");
    if (!lock)
        return fail(lock.error());
    if (!has_flag(dir, "archived"))
        return fail(perm("5.5.1", "this list keeps no archive, so it has no digests"));
    auto list = read_list(dir);
    if (!list)
        return fail(list.error());
    auto num = read_num(dir);
    if (!num)
        return fail(num.error());
    auto state = read_digest_state(dir);
    if (!state)
        return fail(state.error());
    if (num->last <= state->last)
        return std::optional<DigestSent>{};
    if (trigger == DigestTrigger::when_due) {
        auto t = read_digest_thresholds(dir);
        if (!t)
            return fail(t.error());
        if (!digest_due(*t, *state, *num, now))
            return std::optional<DigestSent>{};
    }
    auto issue = read_digest_issue(dir);
    if (!issue)
        return fail(issue.error());
    DigestSent sent;
    sent.issue = *issue + 1;
    sent.first = state->last + 1;
    sent.last = num->last;

    auto msgs = collect_messages(dir, sent.first, sent.last);
    if (!msgs)
        return fail(msgs.error());
    if (!format) {
        auto f = default_format(dir);
        if (!f)
            return fail(f.error());
        format = *f;
    }
    CollectionOptions o;
    o.format = *format;
    auto heading =
        list_message(*list, "SUB_DIGEST_ISSUE", {date822(now), std::to_string(sent.issue)});
    if (!heading)
        return fail(heading.error());
    o.heading = std::move(*heading);
    o.topics = MessageRange{sent.first, sent.last};
    o.thread_order = has_flag(dir, "indexed");
    o.issue = sent.issue;
    auto admin = render_text(*list, "digest", {});
    if (!admin)
        return fail(admin.error());
    o.administrivia = std::move(*admin);
    auto charset = list_charset(dir);
    if (!charset)
        return fail(charset.error());
    o.charset = *charset;
    auto text = format_collection(*list, *msgs, o);
    if (!text)
        return fail(text.error());
    auto headers = digest_headers(*list, sent.first);
    if (!headers)
        return fail(headers.error());

    Reply r;
    r.to = list->address();
    r.subject = o.heading;
    r.body = std::move(text->body);
    r.content_type = text->content_type;
    r.headers = std::move(*headers);
    r.from_command = "digest-help";
    r.auto_submitted = "auto-generated";

    Envelope env;
    // VERP: qmail-send makes it outlocal-digest-return-N-box=domain@outhost per recipient.
    env.sender = list->outlocal + "-digest-return-" + std::to_string(sent.first) + "-@" +
                 list->outhost + "-@[]";
    if (auto s = for_each_subscriber(dir + "/digest",
                                     [&](std::string_view a) { env.recipients.emplace_back(a); });
        !s)
        return fail(s.error());
    sent.recipients = env.recipients.size();
    if (!env.recipients.empty()) {
        auto q = queue_message(format_reply(*list, r, now), env);
        if (!q)
            return fail(q.error());
        sent.qp = q->qp;
    }
    if (auto s = put(dir, "digissue", std::to_string(sent.issue) + ":0\n"); !s)
        return fail(s.error());
    if (auto s = write_state(dir, {sent.last, num->kbytes.value_or(0), now}); !s)
        return fail(s.error());
    return std::optional<DigestSent>(sent);
}

Status prepare_digest_state(const std::string& dir, std::time_t now) {
    auto lock = Lock::acquire(dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto num = read_num(dir);
    if (!num)
        return fail(num.error());
    if (!num->kbytes) {
        num->kbytes = 0;
        if (auto s = write_num(dir, *num); !s)
            return s;
    }
    if (has_flag(dir, "dignum"))
        return {};
    return write_state(dir, {num->last, *num->kbytes, now});
}

} // namespace qm::lists

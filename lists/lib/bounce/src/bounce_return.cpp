#include "qm/lists/bounce/bounce_return.hpp"

#include "qm/lists/bounce/bounce_report.hpp"
#include "qm/lists/bounce/bounce_store.hpp"
#include "qm/lists/core/command_address.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/lists/core/ezmlm7_cookie.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/core/subscription_log.hpp"

#include <charconv>

namespace qm::lists {

namespace {

struct Context {
    const ReturnRequest& request;
    std::string work; // dir or dir/digest
    ReturnOutcome outcome;

    void event(std::string text) { outcome.events.push_back(std::move(text)); }
};

std::string describe(const RecipientFailure& f) {
    std::string s(verdict_name(f.verdict));
    if (!f.status.empty())
        s += " " + f.status;
    if (!f.diagnostic.empty())
        s += " (" + f.diagnostic.substr(0, 200) + ")";
    return s;
}

Result<bool> subscribed(const Context& c, const std::string& address) {
    return is_subscriber(c.work, address);
}

// The bounce store's lock, and whether the address is (still) subscribed under it.
struct Locked {
    Lock lock;
    bool subscribed;
};
Result<Locked> lock_bounces(const Context& c, const std::string& address) {
    auto lock = Lock::acquire(c.work + "/lockbounce");
    if (!lock)
        return fail(lock.error());
    auto sub = subscribed(c, address);
    if (!sub)
        return fail(sub.error());
    return Locked{std::move(*lock), *sub};
}

// A failure that does not count: logged in bounce/uncounted, never warned about.
Status note_uncounted(Context& c, std::string_view what, const std::string& address,
                      const RecipientFailure& f) {
    if (f.verdict == BounceVerdict::not_a_failure) {
        c.event("not a failure for " + address + ": " + describe(f));
        return {};
    }
    c.event("not counted for " + address + " (" + std::string(what) + "): " + describe(f));
    return record_uncounted(c.work, c.request.now, what, address, f);
}

// warn-T.COOKIE-box=domain or probe-...: the address, if the cookie is ours and fresh
// (nullopt otherwise). An unreadable list key is a temporary failure: the bounce waits.
Result<std::optional<std::string>> cookie_target(const Context& c, std::string_view rest,
                                                 CookieAction action) {
    const auto dash = rest.find('-');
    if (dash == std::string_view::npos)
        return std::nullopt;
    auto conf = parse_confirmation(rest.substr(0, dash));
    auto target = decode_target(rest.substr(dash + 1));
    if (!conf || !target)
        return std::nullopt;
    auto key = read_list_key(c.request.dir);
    if (!key)
        return fail(key.error());
    auto verdict = check_cookie(*key, c.request.digest ? CookieScope::digest : CookieScope::main,
                                conf->when, cookie_subject(*target), action, conf->cookie,
                                c.request.now, bounce_cookie_lifetime);
    if (verdict == CookieVerdict::forged) {
        // Within the migration window, a warning or probe the list's ezmlm-idx 7 sent:
        // its ezmlm-warn keys these with the whole key, for the digest list too.
        auto ezmlm7_key = ezmlm7_key_if_open(c.request.dir, c.request.now);
        if (!ezmlm7_key)
            return fail(ezmlm7_key.error());
        if (*ezmlm7_key)
            verdict =
                check_ezmlm7_cookie(**ezmlm7_key, CookieScope::main, conf->when, *target, action,
                                    conf->cookie, c.request.now, bounce_cookie_lifetime);
    }
    if (verdict != CookieVerdict::valid)
        return std::nullopt;
    return target;
}

Status bounced_probe(Context& c, std::string_view rest) {
    auto checked = cookie_target(c, rest, CookieAction::bounce_probe);
    if (!checked)
        return fail(checked.error());
    const auto& target = *checked;
    if (!target) {
        c.event("trash address: probe cookie not valid");
        return {};
    }
    const auto f = failure_for(parse_bounce(c.request.message), *target, c.request.message);
    auto locked = lock_bounces(c, *target);
    if (!locked)
        return fail(locked.error());
    if (!counts_toward_removal(f.verdict))
        return locked->subscribed ? note_uncounted(c, "probe", *target, f) : Status{};
    auto removed = unsubscribe(c.work, *target);
    if (!removed)
        return fail(removed.error());
    if (!*removed) {
        c.event("probe to " + *target + " bounced; it is no longer subscribed");
        return {};
    }
    c.event("unsubscribed " + *target + ": the probe bounced: " + describe(f));
    return append_subscription_log(c.work, c.request.now, "-probe", *target);
}

Status bounced_warning(Context& c, std::string_view rest) {
    auto checked = cookie_target(c, rest, CookieAction::bounce_warning);
    if (!checked)
        return fail(checked.error());
    const auto& target = *checked;
    if (!target) {
        c.event("trash address: warning cookie not valid");
        return {};
    }
    const auto f = failure_for(parse_bounce(c.request.message), *target, c.request.message);
    auto locked = lock_bounces(c, *target);
    if (!locked)
        return fail(locked.error());
    if (!locked->subscribed) {
        c.event("warning to " + *target + " bounced; it is not subscribed");
        return {};
    }
    if (!counts_toward_removal(f.verdict))
        return note_uncounted(c, "warn", *target, f);
    c.event("warning to " + *target + " bounced: " + describe(f));
    return record_warning_bounce(c.work, *target, c.request.now, c.request.sender,
                                 c.request.message);
}

// One recipient's failure of message msgnum: recorded if it counts and the address is
// still subscribed.
Status distribution_failure(Context& c, unsigned long msgnum, const std::string& address,
                            const RecipientFailure& f, std::string_view kept, unsigned sequence) {
    auto normal = normalise_address(address);
    if (!normal) {
        c.event("bounce names a bad address: " + address);
        return {};
    }
    auto sub = subscribed(c, *normal);
    if (!sub)
        return fail(sub.error());
    if (!*sub) {
        c.event("message " + std::to_string(msgnum) + " bounced for " + *normal +
                ", who is not subscribed");
        return {};
    }
    if (!counts_toward_removal(f.verdict))
        return note_uncounted(c, std::to_string(msgnum), *normal, f);
    c.event("message " + std::to_string(msgnum) + " bounced for " + *normal + ": " + describe(f));
    return record_distribution_bounce(c.work, *normal, msgnum, c.request.now, c.request.sender,
                                      kept, sequence);
}

Status distribution_bounce(Context& c, std::string_view action) {
    unsigned long msgnum = 0;
    auto [end, ec] = std::from_chars(action.data(), action.data() + action.size(), msgnum);
    if (ec != std::errc() || end == action.data() || end == action.data() + action.size() ||
        *end != '-')
        return fail(perm("5.1.1", "bad return address: " + std::string(action)));
    std::string_view target = action.substr(static_cast<size_t>(end - action.data()) + 1);
    const auto report = parse_bounce(c.request.message);

    auto lock = Lock::acquire(c.work + "/lockbounce");
    if (!lock)
        return fail(lock.error());
    if (!target.empty()) { // VERP: the address is in the return path
        auto address = decode_target(target);
        if (!address)
            return fail(perm("5.1.1", "bad return address: " + std::string(action)));
        return distribution_failure(c, msgnum, *address,
                                    failure_for(report, *address, c.request.message),
                                    c.request.message, 0);
    }
    // No VERP: the report itself says who failed.
    if (report.format == BounceFormat::unknown || report.recipients.empty()) {
        c.event("trash: a bounce of message " + std::to_string(msgnum) +
                " that names no recipient");
        return {};
    }
    unsigned sequence = 0;
    for (const auto& r : report.recipients) {
        if (r.address.empty() || r.verdict == BounceVerdict::not_a_failure)
            continue;
        const std::string kept = report.format == BounceFormat::qsbmf
                                     ? report.qsbmf_head + r.paragraph
                                     : c.request.message;
        if (auto s = distribution_failure(c, msgnum, r.address, r, kept, sequence++); !s)
            return s;
    }
    return {};
}

} // namespace

Result<ReturnOutcome> handle_return(const ReturnRequest& request) {
    Context c{request, request.digest ? request.dir + "/digest" : request.dir, {}};
    std::string_view action = request.action;
    Status done;
    if (action.empty())
        c.event("trash address");
    else if (action.starts_with("probe-"))
        done = bounced_probe(c, action.substr(6));
    else if (action.starts_with("warn-"))
        done = bounced_warning(c, action.substr(5));
    else
        done = distribution_bounce(c, action);
    if (!done)
        return fail(done.error());
    return std::move(c.outcome);
}

} // namespace qm::lists

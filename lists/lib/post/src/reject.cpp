#include "qm/lists/post/reject.hpp"

#include "qm/address.hpp"
#include "qm/inject/address_list.hpp"

#include <algorithm>
#include <charconv>

namespace qm::lists {

using qm::address::lowercase;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

Result<std::vector<std::string>> lowercase_lines(const std::string& dir, const std::string& name) {
    auto lines = read_lines(dir, name);
    if (!lines)
        return fail(lines.error());
    for (auto& l : *lines)
        l = lowercase(l);
    return lines;
}

// "30000:2" -> {30000, 2}; either part may be missing or 0 (no limit).
Status parse_msgsize(const std::string& dir, const std::string& text, RejectRules& rules) {
    const char* p = text.data();
    const char* end = p + text.size();
    auto [after_max, ec] = std::from_chars(p, end, rules.max_body);
    if (ec != std::errc{} && after_max == p)
        rules.max_body = 0;
    if (after_max < end && *after_max == ':') {
        auto [after_min, ec2] = std::from_chars(after_max + 1, end, rules.min_body);
        if (ec2 != std::errc{})
            rules.min_body = 0;
        after_max = after_min;
    }
    if (after_max != end)
        return fail(temp("4.3.0", dir + "/msgsize is not max:min (" + text + ")"));
    return {};
}

Failure refused(std::string dsn, std::string text) {
    return perm(std::move(dsn), "Sorry, " + std::move(text));
}

} // namespace

Status read_reject_rules(const std::string& dir, RejectRules& rules) {
    auto list = read_list(dir);
    if (!list)
        return fail(list.error());
    rules.list = std::move(*list);
    rules.sublist = has_flag(dir, "sublist");
    auto msgsize = read_setting(dir, "msgsize");
    if (!msgsize)
        return fail(msgsize.error());
    if (*msgsize)
        if (auto s = parse_msgsize(dir, **msgsize, rules); !s)
            return s;
    auto reject = lowercase_lines(dir, "mimereject");
    if (!reject)
        return fail(reject.error());
    rules.mimereject = std::move(*reject);
    if (has_flag(dir, "mimekeep")) {
        auto keep = lowercase_lines(dir, "mimekeep");
        if (!keep)
            return fail(keep.error());
        rules.mimekeep = std::move(*keep);
    } else {
        auto remove = lowercase_lines(dir, "mimeremove");
        if (!remove)
            return fail(remove.error());
        rules.mimeremove = std::move(*remove);
    }
    if (rules.header_reject) {
        auto headers = lowercase_lines(dir, "headerreject");
        if (!headers)
            return fail(headers.error());
        rules.headerreject = std::move(*headers);
    }
    return {};
}

bool names_list(const std::vector<std::string>& address_fields, const ListInfo& list) {
    const std::string wanted = lowercase(list.address());
    for (const auto& field : address_fields) {
        auto addresses = qm::inject::parse_address_list(field);
        if (!addresses) {
            // Unreadable as an address list: a plain search still finds the list in it.
            if (lowercase(field).find(wanted) != std::string::npos)
                return true;
            continue;
        }
        for (const auto& a : *addresses)
            if (lowercase(a.address) == wanted)
                return true;
    }
    return false;
}

Result<PostVerdict> check_post(const RejectRules& rules, const PostShape& post) {
    if (rules.sublist)
        return PostVerdict{};
    if (rules.header_reject)
        for (const auto& name : post.field_names)
            if (contains(rules.headerreject, name))
                return fail(refused("5.7.0", "I don't accept messages with a " + name +
                                                 " header field on this list"));
    if (post.precedence) {
        std::string p = lowercase(*post.precedence);
        if (p.ends_with("junk") || p.ends_with("bulk"))
            return PostVerdict{PostVerdict::Kind::ignore,
                               "Precedence: " + *post.precedence + " - message ignored"};
    }

    std::string subject = post.subject ? lowercase(*post.subject) : std::string();
    bool has_subject =
        !subject.empty() && subject != "(null)" && subject != "(none)" && subject != "(no subject)";
    bool command = subject == "help" || subject == "remove" || subject == "subscribe" ||
                   subject == "unsubscribe";
    if (rules.body_commands &&
        (subject.starts_with("subscribe") || subject.starts_with("unsubscribe")))
        command = true;

    if (rules.require_list_address && rules.list && !names_list(post.address_fields, *rules.list)) {
        const std::string why = "the list address " + rules.list->address() +
                                " must be in To: or Cc: (perhaps this was a Bcc)";
        if (rules.ignore_missing_address)
            return PostVerdict{PostVerdict::Kind::ignore, why + " - message ignored"};
        return fail(refused("5.7.0", why));
    }
    if (rules.require_subject && !has_subject)
        return fail(refused("5.7.0", "I don't accept messages with an empty Subject"));
    if (rules.reject_commands && command && rules.forward_commands && rules.list)
        return PostVerdict{PostVerdict::Kind::forward,
                           "a command: sent on to " + rules.list->command("request")};
    if (rules.reject_commands && command)
        return fail(refused(
            "5.7.0",
            "the subject \"" + excerpt(*post.subject) +
                "\" looks like a command for the list manager, so the post was not "
                "distributed. For commands, mail " +
                (rules.list ? rules.list->command("help") : std::string("the -help address")) +
                " (see the Mailing-List: header)"));

    auto bad_type = [&](const std::string& type) { return contains(rules.mimereject, type); };
    const std::string& top = post.content_type.type;
    if (bad_type(top) || contains(rules.mimeremove, top) ||
        (rules.mimekeep && !contains(*rules.mimekeep, top)))
        return fail(refused("5.2.3", "I don't accept messages of MIME Content-Type " + top));
    for (const auto& part : post.part_types)
        if (bad_type(part))
            return fail(refused("5.2.3", "a part of the message has the MIME Content-Type " + part +
                                             ", which this list does not accept"));
    if (rules.body_commands) {
        std::string first = lowercase(post.first_body_line);
        if (first.starts_with("subscribe") || first.starts_with("unsubscribe"))
            return fail(refused("5.7.0", "the message starts with \"" +
                                             excerpt(post.first_body_line) +
                                             "\", which looks like a command for the list "
                                             "manager; see the Mailing-List: header for where "
                                             "commands go"));
    }
    if (rules.max_body && post.body_size > rules.max_body)
        return fail(refused("5.2.3", "I don't accept messages larger than " +
                                         std::to_string(rules.max_body) + " bytes (this one has " +
                                         std::to_string(post.body_size) + ")"));
    if (post.body_size < rules.min_body)
        return fail(refused("5.2.3", "I don't accept messages shorter than " +
                                         std::to_string(rules.min_body) + " bytes"));
    return PostVerdict{};
}

} // namespace qm::lists

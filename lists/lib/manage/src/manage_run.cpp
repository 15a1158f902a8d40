// The I/O half of ezmlm-manage: looks up what decide_manage needs, then carries the
// decision out (subscriber store, Log, replies). See manage.hpp for who gets what.
#include "qm/address.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/core/ezmlm7_cookie.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/reply.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/core/subscription_log.hpp"
#include "qm/lists/manage/edit.hpp"
#include "qm/lists/manage/manage.hpp"
#include "qm/lists/manage/one_click.hpp"

#include <charconv>
#include <optional>
#include <vector>

namespace qm::lists {

namespace {

using qm::address::lowercase;

std::string env_value(const std::map<std::string, std::string>& env, const std::string& name,
                      bool& present) {
    auto it = env.find(name);
    present = it != env.end();
    return present ? it->second : std::string();
}

// The header field names of the request, lower-cased, with their values.
std::vector<std::pair<std::string, std::string>> header_fields(std::string_view message) {
    std::vector<std::pair<std::string, std::string>> fields;
    while (!message.empty()) {
        auto nl = message.find('\n');
        std::string_view line = message.substr(0, nl);
        message = nl == std::string_view::npos ? std::string_view{} : message.substr(nl + 1);
        if (line.empty() || line == "\r")
            break;
        if ((line[0] == ' ' || line[0] == '\t') && !fields.empty()) {
            fields.back().second += std::string(line);
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        std::string value(line.substr(colon + 1));
        auto start = value.find_first_not_of(" \t");
        fields.emplace_back(lowercase(line.substr(0, colon)),
                            start == std::string::npos ? "" : value.substr(start));
    }
    return fields;
}

// "Delivered-To: responder for LIST@HOST": on every reply, and a request that already
// has it is one of our replies come back (ezmlm-idx 7's loop check).
std::string responder_line(const ListInfo& list) {
    return "Delivered-To: responder for " + list.address();
}

// Where moderators are: modsub or remote may name another directory (ezmlm's -7/-8).
Result<std::string> moderator_database(const std::string& dir) {
    for (const char* name : {"modsub", "remote"}) {
        auto v = read_setting(dir, name);
        if (!v)
            return fail(v.error());
        if (*v && (*v)->starts_with("/"))
            return **v;
    }
    return dir + "/mod";
}

Result<std::vector<std::string>> moderators(const std::string& db) {
    std::vector<std::string> out;
    if (auto s = for_each_subscriber(db, [&](std::string_view a) { out.emplace_back(a); }); !s)
        return fail(s.error());
    return out;
}

// The From: field's value (for ezmlm-manage -f's Log comment), "" when there is none.
std::string from_field(std::string_view message) {
    for (const auto& [name, value] : header_fields(message))
        if (name == "from")
            return value;
    return {};
}

struct Job {
    ListInfo list;      // the list, for texts, From: and the envelope sender
    ListInfo addresses; // the same with the scope's outlocal, for command addresses
    ManageRequest request;
    ManageFacts facts;
    ManagePolicy policy;
    ManageOptions options;
    std::string db;           // the database the command acts on
    std::string mod_db;       // dir/mod (or where modsub/remote point)
    std::string_view message; // the request as delivered (an edited text's reply)
    // ed.: dir/lock, held from reading text/FILE for the cookie check to replacing it, so
    // that two replies with the same cookie cannot both be taken.
    std::optional<Lock> edit_lock;

    [[nodiscard]] TextTags tags(const std::string& reply_address = {}) const {
        TextTags t{
            {'l', addresses.outlocal}, {'A', facts.target}, {'t', encode_target(facts.target)}};
        if (!reply_address.empty())
            t.emplace_back('R', reply_address);
        return t;
    }
};

// The fields ezmlm-idx 7's ezmlm-manage puts on every reply (RFC 2369 and its loop
// guard), naming the main list whatever the scope, as it does.
void add_list_fields(const Job& job, Reply& reply) {
    const ListInfo& l = job.list;
    auto listid = read_setting(l.dir, "listid");
    if (listid && *listid)
        reply.headers.push_back("List-ID: " + **listid);
    reply.headers.push_back("List-Help: <mailto:" + l.command("help") + ">");
    reply.headers.push_back("List-Post: <mailto:" + l.address() + ">");
    reply.headers.push_back("List-Subscribe: <mailto:" + l.command("subscribe") + ">");
    reply.headers.push_back(responder_line(l));
    // The request's own Delivered-To and Received lines go along, as ezmlm-idx 7 copies
    // them: a reply that comes back here is then recognised as looping.
    for (const auto& [name, value] : header_fields(job.message))
        if (name == "delivered-to" || name == "received")
            reply.headers.push_back((name == "received" ? "Received: " : "Delivered-To: ") + value);
}

// What ezmlm-idx 7 copies of the request below text/bottom: a Return-Path line with the
// requester, the request's header, and dir/copylines lines of its body (none by
// default). Whoever gets a confirmation sees who asked for it and from where.
Result<std::string> request_copy(const Job& job) {
    auto setting = read_setting(job.list.dir, "copylines");
    if (!setting)
        return fail(setting.error());
    unsigned long lines = 0;
    if (*setting) {
        const std::string& v = **setting;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), lines);
        if (ec != std::errc{})
            lines = 0; // as ezmlm-idx's scan_ulong of junk
    }
    const std::string_view m = job.message;
    size_t end = m.starts_with("\n") ? 0 : m.find("\n\n");
    end = end == std::string_view::npos ? m.size() : end + 1; // the header's last line end
    std::string copy = "Return-Path: <" + job.facts.sender + ">\n" + std::string(m.substr(0, end));
    if (end < m.size()) {
        copy += '\n';
        size_t at = end + 1;
        for (unsigned long n = 0; n < lines && at < m.size(); ++n) {
            const size_t nl = m.find('\n', at);
            const size_t stop = nl == std::string_view::npos ? m.size() : nl + 1;
            copy += m.substr(at, stop - at);
            at = stop;
        }
    }
    return copy;
}

Result<Queued> send_to(const Job& job, Audience audience, Reply reply) {
    add_list_fields(job, reply);
    if (!job.list.omit_bottom.value_or(has_flag(job.list.dir, "omitbottom"))) {
        auto copy = request_copy(job);
        if (!copy)
            return fail(copy.error());
        auto charset = read_list_charset(job.list.dir);
        if (!charset)
            return fail(charset.error());
        // Inside the text, or, when the list's texts are encoded (":Q", ":B"), as a
        // message/rfc822 part beside them, as ezmlm-idx 7 sends it.
        if (charset->encoding != 0)
            reply.enclosed = std::move(*copy);
        else
            reply.body += *copy;
    }
    switch (audience) {
    case Audience::target:
        reply.to = job.facts.target;
        break;
    case Audience::sender:
        reply.to = job.facts.sender;
        break;
    case Audience::moderators: {
        auto mods = moderators(job.mod_db);
        if (!mods)
            return fail(mods.error());
        if (mods->empty())
            return fail(temp("4.3.0", "the list has no moderators in " + job.mod_db +
                                          " to approve the request"));
        reply.to = mods->front();
        reply.also_to.assign(mods->begin() + 1, mods->end());
        break;
    }
    }
    return send_reply(job.list, reply, job.facts.now);
}

Result<std::string> text_for_request(const ListInfo& list, CookieAction action) {
    switch (action) {
    case CookieAction::subscribe_confirm:
        return std::string("sub-confirm");
    case CookieAction::unsubscribe_confirm:
        return std::string("unsub-confirm");
    case CookieAction::subscribe_moderate:
    case CookieAction::unsubscribe_moderate: {
        // ezmlm-idx 7 asks moderators with mod-sub-confirm / mod-unsub-confirm, as it
        // asks remote administrators. Lists made by our earlier ezmlm-make have
        // mod-sub-request / mod-unsub-request for the moderators: still used if there.
        const bool sub = action == CookieAction::subscribe_moderate;
        auto old = has_text(list, sub ? "mod-sub-request" : "mod-unsub-request");
        if (!old)
            return fail(old.error());
        if (*old)
            return std::string(sub ? "mod-sub-request" : "mod-unsub-request");
        return std::string(sub ? "mod-sub-confirm" : "mod-unsub-confirm");
    }
    case CookieAction::subscribe_remote:
        return std::string("mod-sub-confirm");
    default:
        return std::string("mod-unsub-confirm");
    }
}

bool subscribing(CookieAction a) {
    return a == CookieAction::subscribe_confirm || a == CookieAction::subscribe_moderate ||
           a == CookieAction::subscribe_remote;
}

Result<ManageOutcome> send_request(const Job& job, const ManageDecision& d) {
    const auto action = d.request_action;
    const Confirmation c{job.facts.now, make_cookie(job.facts.key, job.request.scope, job.facts.now,
                                                    cookie_subject(job.facts.target), action)};
    const std::string address =
        confirmation_address(job.addresses, confirm_verb(action), c, job.facts.target);
    const bool sub = subscribing(action);
    const bool bad = d.step == ManageStep::bad_cookie;
    auto request_text = text_for_request(job.list, action);
    if (!request_text)
        return fail(request_text.error());
    const std::string text = bad ? (sub ? "sub-bad" : "unsub-bad") : *request_text;
    auto body = compose_body(job.list, {text}, job.tags(address));
    if (!body)
        return fail(body.error());
    Reply reply;
    // ezmlm-idx 7's subjects: the user's own confirmation, else the moderators' (remote
    // administration included).
    const bool users =
        action == CookieAction::subscribe_confirm || action == CookieAction::unsubscribe_confirm;
    auto subject = list_message(job.list,
                                users ? (sub ? "SUB_USR_SUBSCRIBE" : "SUB_USR_UNSUBSCRIBE")
                                      : (sub ? "SUB_MOD_SUBSCRIBE" : "SUB_MOD_UNSUBSCRIBE"),
                                // ezmlm-idx 7 gives these no parameters; our own
                                // wording for the moderators' names the address.
                                users ? std::vector<std::string>{}
                                      : std::vector<std::string>{job.facts.target});
    if (!subject)
        return fail(subject.error());
    reply.subject = std::move(*subject);
    reply.body = std::move(*body);
    reply.headers.push_back("Reply-To: " + address);
    if (auto q = send_to(job, d.audience, std::move(reply)); !q)
        return fail(q.error());
    const char* who = d.audience == Audience::target   ? "target"
                      : d.audience == Audience::sender ? "sender"
                                                       : "moderators";
    return ManageOutcome{std::string(bad ? "bad cookie, new " : "") +
                         std::string(confirm_verb(action)) + " request for " + job.facts.target +
                         " sent to the " + who};
}

Result<ManageOutcome> change_now(const Job& job, const ManageDecision& d) {
    const bool sub = d.step == ManageStep::subscribe_now;
    auto changed =
        sub ? subscribe(job.db, job.facts.target) : unsubscribe(job.db, job.facts.target);
    if (!changed)
        return fail(changed.error());
    if (*changed) {
        std::string comment = d.by_moderator ? "by " + job.facts.sender : "";
        if (job.options.log_from && sub)
            if (auto from = from_field(job.message); !from.empty())
                comment += (comment.empty() ? "" : " ") + from;
        if (auto s = append_subscription_log(job.db, job.facts.now, sub ? "+" : "-",
                                             job.facts.target, comment);
            !s)
            return fail(s.error());
    }
    const std::string_view outcome =
        *changed ? (sub ? "sub-ok" : "unsub-ok") : (sub ? "sub-nop" : "unsub-nop");
    Reply reply;
    auto subject =
        list_message(job.list, *changed ? (sub ? "SUB_WELCOME" : "SUB_GOODBYE")
                                        : (sub ? "SUB_SUBSCRIBE_NOP" : "SUB_UNSUBSCRIBE_NOP"));
    if (!subject)
        return fail(subject.error());
    reply.subject = std::move(*subject);
    // sub-ok's <#R#> (and !R) is the address that unsubscribes, as in ezmlm-idx 7.
    const std::string unsubscribe_address =
        *changed && sub ? job.addresses.command("unsubscribe-" + encode_target(job.facts.target))
                        : std::string();
    // A moderator's doing is explained (text/mod-sub), so nobody is left wondering.
    auto body = *changed && d.by_moderator
                    ? compose_body(job.list, {outcome, "mod-sub"}, job.tags(unsubscribe_address))
                    : compose_body(job.list, {outcome}, job.tags(unsubscribe_address));
    if (!body)
        return fail(body.error());
    reply.body = std::move(*body);
    if (*changed && sub)
        reply.headers.push_back("List-Unsubscribe: <mailto:" +
                                percent_encode(job.addresses.outlocal + "-unsubscribe-" +
                                               encode_target(job.facts.target)) +
                                "@" + job.addresses.outhost + ">");
    // allow/deny entries are the admin's business, not the address's: the requester hears.
    const bool tell_sender =
        job.request.scope == CookieScope::allow || job.request.scope == CookieScope::deny;
    // -N: a change a moderator made, or one made without a handshake, is not announced.
    const bool handshake_skipped = job.request.verb != ManageVerb::confirm;
    const bool quiet =
        !job.options.notify && *changed && !tell_sender && (d.by_moderator || handshake_skipped);
    // -Q / -QQ (ezmlm-idx 7's rule): a failed unsubscription, or with -QQ any change,
    // is copied to list-owner; a moderator's failed removal is the moderator's business.
    const int copy_owner = job.options.copy_owner;
    const bool to_owner =
        copy_owner > 1 ? *changed : copy_owner == 1 && !sub && !*changed && !d.by_moderator;
    const std::string owner = job.list.command("owner"); // the main list's, as 7.x
    if (quiet) {
        if (to_owner) {
            reply.to = owner;
            add_list_fields(job, reply);
            if (auto q = send_reply(job.list, reply, job.facts.now); !q)
                return fail(q.error());
        }
        return ManageOutcome{std::string(sub ? "subscribed " : "unsubscribed ") + job.facts.target +
                             (job.db == job.list.dir ? "" : " in " + job.db) + " (not notified)"};
    }
    if (to_owner)
        reply.also_to.push_back(owner);
    if (auto q = send_to(job, tell_sender ? Audience::sender : Audience::target, std::move(reply));
        !q)
        return fail(q.error());
    return ManageOutcome{std::string(*changed
                                         ? (sub ? "subscribed " : "unsubscribed ")
                                         : (sub ? "already subscribed: " : "not subscribed: ")) +
                         job.facts.target + (job.db == job.list.dir ? "" : " in " + job.db)};
}

// top, the given middle, bottom: for replies whose body is computed (list, log).
Result<std::string> body_around(const Job& job, const std::string& middle) {
    auto top = render_text(job.list, "top", job.tags());
    if (!top)
        return fail(top.error());
    std::string body = *top + middle;
    if (!job.list.omit_bottom.value_or(has_flag(job.list.dir, "omitbottom"))) {
        auto bottom = render_text(job.list, "bottom", job.tags());
        if (!bottom)
            return fail(bottom.error());
        body += *bottom;
    }
    return body;
}

// subject: the key of ezmlm-idx 7's subject (list_message), with its parameters.
Result<ManageOutcome> reply_with(const Job& job, Audience audience, std::string_view subject,
                                 Result<std::string> body, std::string info,
                                 const std::string& from = "help",
                                 const std::vector<std::string>& subject_params = {}) {
    if (!body)
        return fail(body.error());
    auto rendered_subject = list_message(job.list, subject, subject_params);
    if (!rendered_subject)
        return fail(rendered_subject.error());
    Reply reply;
    reply.subject = std::move(*rendered_subject);
    reply.body = std::move(*body);
    reply.from_command = from;
    if (auto q = send_to(job, audience, std::move(reply)); !q)
        return fail(q.error());
    return ManageOutcome{std::move(info)};
}

TextTags edit_tags(const Job& job, const std::string& reply_address = {}) {
    TextTags t = job.tags(reply_address);
    t.emplace_back('f', job.request.edit_file);
    return t;
}

Result<ManageOutcome> send_edit_list(const Job& job) {
    auto names = editable_texts(job.list.dir);
    if (!names)
        return fail(names.error());
    auto intro = render_text(job.list, "edit-list", job.tags());
    if (!intro)
        return fail(intro.error());
    std::string middle = *intro;
    for (const auto& name : *names)
        middle += "   " + job.addresses.command("edit." + name) + "\n";
    if (names->empty())
        middle += "   (none)\n";
    return reply_with(job, Audience::sender, "SUB_EDIT_LIST", body_around(job, middle),
                      "edit list sent to " + job.facts.sender);
}

// text/FILE between the markers, with a cookie for this moderator and these contents.
Result<ManageOutcome> send_edit_text(const Job& job) {
    const std::string& file = job.request.edit_file;
    const std::string& contents = *job.facts.edit_contents;
    const Confirmation c{job.facts.now,
                         make_cookie(job.facts.key, CookieScope::main, job.facts.now,
                                     edit_cookie_subject(file, job.facts.sender, contents),
                                     CookieAction::edit_text)};
    const std::string address = job.addresses.command("ed." + format_confirmation(c) + "-" + file);
    auto intro = render_text(job.list, "edit-do", edit_tags(job, address));
    if (!intro)
        return fail(intro.error());
    auto body = body_around(job, *intro + text_between_marker_lines(contents));
    if (!body)
        return fail(body.error());
    auto subject = list_message(job.list, "SUB_EDIT_REQUEST", {file});
    if (!subject)
        return fail(subject.error());
    Reply reply;
    reply.subject = std::move(*subject);
    reply.body = std::move(*body);
    reply.headers.push_back("Reply-To: " + address);
    if (auto q = send_to(job, Audience::sender, std::move(reply)); !q)
        return fail(q.error());
    return ManageOutcome{"text/" + file + " sent for editing to " + job.facts.sender};
}

Result<ManageOutcome> replace_text(const Job& job) {
    const std::string& file = job.request.edit_file;
    const EditedText edited = edited_text_of(job.message);
    if (edited.problem == EditProblem::no_markers)
        return fail(perm("5.6.0", "your reply has no text between a line \"" +
                                      std::string(edit_start_marker) + "\" and a line \"" +
                                      std::string(edit_end_marker) + "\"; text/" + file +
                                      " is unchanged"));
    if (edited.problem == EditProblem::too_large)
        return fail(perm("5.3.4", "the new text is longer than " + std::to_string(max_edited_text) +
                                      " bytes; text/" + file + " is unchanged"));
    if (auto w = write_edited_text(job.list.dir, file, edited.text); !w)
        return fail(w.error());
    return reply_with(job, Audience::sender, "SUB_EDIT_SUCCESS",
                      compose_body(job.list, {"edit-done"}, edit_tags(job)),
                      "text/" + file + " replaced by " + job.facts.sender + " (" +
                          std::to_string(edited.text.size()) + " bytes)",
                      "help", {file});
}

Result<ManageOutcome> carry_out(const Job& job, const ManageDecision& d) {
    const std::string listaddr = job.addresses.address();
    switch (d.step) {
    case ManageStep::refuse:
        return fail(d.refusal);
    case ManageStep::help: {
        const bool mod = job.facts.sender_is_moderator && (job.policy.modsub || job.policy.remote);
        // From: list-return-: an autoresponder answering help mail ends in the bounce
        // trash, not in another help message (ezmlm does the same).
        return reply_with(job, Audience::sender, mod ? "SUB_MOD_HELP" : "SUB_HELP",
                          mod ? compose_body(job.list, {"mod-help", "help"}, job.tags())
                              : compose_body(job.list, {"help"}, job.tags()),
                          "help sent to " + job.facts.sender, "return-");
    }
    case ManageStep::info:
        return reply_with(job, Audience::sender, "SUB_INFO",
                          compose_body(job.list, {"info"}, job.tags()),
                          "info sent to " + job.facts.sender);
    case ManageStep::faq:
        return reply_with(job, Audience::sender, "SUB_FAQ",
                          compose_body(job.list, {"faq"}, job.tags()),
                          "faq sent to " + job.facts.sender);
    case ManageStep::request:
    case ManageStep::bad_cookie:
        return send_request(job, d);
    case ManageStep::subscribe_now:
    case ManageStep::unsubscribe_now:
        return change_now(job, d);
    case ManageStep::query: {
        auto is = is_subscriber(job.db, job.facts.target);
        if (!is)
            return fail(is.error());
        return reply_with(job, Audience::target, "SUB_STATUS",
                          compose_body(job.list, {*is ? "sub-nop" : "unsub-nop"}, job.tags()),
                          "query answered to " + job.facts.target);
    }
    case ManageStep::list:
    case ManageStep::listn: {
        std::string lines;
        size_t n = 0;
        const bool names = d.step == ManageStep::list;
        if (auto s = for_each_subscriber(job.db,
                                         [&](std::string_view a) {
                                             ++n;
                                             if (names)
                                                 lines += std::string(a) + "\n";
                                         });
            !s)
            return fail(s.error());
        std::string middle = names ? "Subscribers of " + listaddr + ":\n\n" + lines : "";
        middle += "\n  ======> " + std::to_string(n) + "\n";
        return reply_with(job, Audience::target, "SUB_LIST", body_around(job, middle),
                          "subscriber list sent to " + job.facts.target);
    }
    case ManageStep::log: {
        auto lines = read_lines(job.db, "Log");
        if (!lines)
            return fail(lines.error());
        const std::string filter = lowercase(job.request.log_filter);
        std::string middle;
        for (const auto& l : *lines)
            if (filter.empty() || lowercase(l).find(filter) != std::string::npos)
                middle += l + "\n";
        if (middle.empty())
            middle = "(no matching entries)\n";
        return reply_with(job, Audience::target,
                          job.request.log_filter.empty() ? "SUB_LOG" : "SUB_LOG_SEARCH",
                          body_around(job, middle), "log sent to " + job.facts.target);
    }
    case ManageStep::edit_list:
        return send_edit_list(job);
    case ManageStep::edit_get:
        return send_edit_text(job);
    case ManageStep::edit_put:
        return replace_text(job);
    }
    return fail(temp("4.3.0", "internal error: unhandled decision"));
}

// edit.FILE, ed.: text/FILE as it is now, for a moderator allowed to edit it (nobody
// else learns whether a file exists). ed. takes dir/lock first.
Status look_up_edited_text(Job& job) {
    const auto verb = job.request.verb;
    if ((verb != ManageVerb::edit_get && verb != ManageVerb::edit_put) || !job.policy.modcanedit ||
        !job.policy.remote || !job.facts.sender_is_moderator ||
        job.request.scope != CookieScope::main || !is_editable_text_name(job.request.edit_file))
        return {};
    if (verb == ManageVerb::edit_put) {
        auto lock = Lock::acquire(job.list.dir + "/lock");
        if (!lock)
            return fail(lock.error());
        job.edit_lock.emplace(std::move(*lock));
    }
    auto contents = read_editable_text(job.list.dir, job.request.edit_file);
    if (!contents)
        return fail(contents.error());
    job.facts.edit_contents = std::move(*contents);
    return {};
}

} // namespace

Result<ManageOutcome> run_manage(const std::string& dir,
                                 const std::map<std::string, std::string>& env,
                                 std::string_view message, const ManageOptions& options) {
    bool has_sender = false, has_default = false, has_local = false;
    const std::string sender = env_value(env, "SENDER", has_sender);
    std::string action = env_value(env, "DEFAULT", has_default);
    const std::string local = env_value(env, "LOCAL", has_local);
    if (!has_sender)
        return fail(perm("5.3.0", "SENDER not set"));
    if (sender.empty() || sender == "#@[]")
        return fail(perm("5.7.2", "I do not answer bounce messages"));
    if (sender.find('@') == std::string::npos)
        return fail(perm("5.7.2", "I do not answer senders without a host name"));

    auto list = read_list(dir);
    if (!list)
        return fail(list.error());
    if (!has_default) {
        // Run without a -default .qmail (or by hand): the action is LOCAL after inlocal-.
        if (!has_local)
            return fail(perm("5.3.0", "neither DEFAULT nor LOCAL is set"));
        auto inlocal = require_setting(dir, "inlocal");
        if (!inlocal)
            return fail(inlocal.error());
        const std::string prefix = lowercase(*inlocal) + "-";
        if (lowercase(local.substr(0, prefix.size())) != prefix)
            return fail(perm("5.1.1", "the address is not one of " + *inlocal + "'s"));
        action = local.substr(prefix.size());
    }

    for (const auto& [name, value] : header_fields(message)) {
        if (name == "delivered-to" && "Delivered-To: " + value == responder_line(*list))
            return fail(perm("5.4.6", "this message is looping: it already has my "
                                      "Delivered-To line"));
        if (name == "mailing-list")
            return fail(perm("5.7.2", "the request carries Mailing-List: it came from a mailing "
                                      "list, and I do not answer list mail"));
        // RFC 3834: no automatic reply to an automatic message (an autoresponder must
        // neither confirm a subscription nor start a mail loop with us).
        if (name == "auto-submitted" && lowercase(value).substr(0, 2) != "no")
            return ManageOutcome{"ignored an automatic message (Auto-Submitted: " + value + ")"};
    }

    // -C: get requests are refused here (ezmlm-get, earlier in the manager, answers them
    // otherwise).
    if (!options.get) {
        const std::string verb = lowercase(action.substr(0, action.find_first_of("-._")));
        if (verb == "get" || verb == "getv")
            return fail(perm("5.7.1", "archive retrieval is not available for this list"));
    }

    Job job;
    job.list = *list;
    job.list.omit_bottom = options.omit_bottom;
    job.options = options;
    job.request = parse_manage_request(action);
    job.message = message;
    job.addresses = job.list;
    job.addresses.outlocal = scope_outlocal(job.list.outlocal, job.request.scope);
    job.db = scope_database(dir, job.request.scope);

    auto normal_sender = normalise_address(sender);
    if (!normal_sender)
        return fail(normal_sender.error());
    job.facts.sender = *normal_sender;
    job.facts.target = job.facts.sender;
    if (job.request.target) {
        auto t = normalise_address(*job.request.target);
        if (!t)
            job.request.bad_target = true;
        else
            job.facts.target = *t;
    }
    job.facts.now = now();
    auto key = read_list_key(dir);
    if (!key)
        return fail(key.error());
    job.facts.key = std::move(*key);
    auto ezmlm7_key = ezmlm7_key_if_open(dir, job.facts.now);
    if (!ezmlm7_key)
        return fail(ezmlm7_key.error());
    job.facts.ezmlm7_key = std::move(*ezmlm7_key);

    job.policy.is_public = has_flag(dir, "public");
    job.policy.nosubconfirm = options.nosubconfirm.value_or(has_flag(dir, "nosubconfirm"));
    job.policy.nounsubconfirm = options.nounsubconfirm.value_or(has_flag(dir, "nounsubconfirm"));
    job.policy.modsub = has_flag(dir, "modsub");
    job.policy.remote = has_flag(dir, "remote");
    job.policy.modcanlist = options.modcanlist.value_or(has_flag(dir, "modcanlist"));
    job.policy.modcanedit = options.modcanedit.value_or(has_flag(dir, "modcanedit"));
    job.policy.unsubscribe_moderated = options.unsubscribe_moderated;
    auto mod_db = moderator_database(dir);
    if (!mod_db)
        return fail(mod_db.error());
    job.mod_db = std::move(*mod_db);
    if (job.policy.modsub || job.policy.remote) {
        auto s = is_subscriber(job.mod_db, job.facts.sender);
        if (!s)
            return fail(s.error());
        job.facts.sender_is_moderator = *s;
        auto t = is_subscriber(job.mod_db, job.facts.target);
        if (!t)
            return fail(t.error());
        job.facts.target_is_moderator = *t;
    }
    if ((job.request.verb == ManageVerb::subscribe ||
         job.request.verb == ManageVerb::unsubscribe) &&
        !job.request.bad_target) {
        auto is = is_subscriber(job.db, job.facts.target);
        if (!is)
            return fail(is.error());
        job.facts.target_is_subscriber = *is;
    }
    if (auto s = look_up_edited_text(job); !s)
        return fail(s.error());
    return carry_out(job, decide_manage(job.request, job.policy, job.facts));
}

} // namespace qm::lists

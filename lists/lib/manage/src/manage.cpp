// The pure half of ezmlm-manage: reading $DEFAULT into a request and deciding what to do
// with it. No file, clock or environment is touched here (see manage_run.cpp).
#include "qm/lists/manage/manage.hpp"

#include "qm/address.hpp"
#include "qm/lists/core/ezmlm7_cookie.hpp"
#include "qm/lists/manage/edit.hpp"

#include <array>
#include <utility>

namespace qm::lists {

namespace {

using qm::address::lowercase;

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && lowercase(s.substr(0, prefix.size())) == prefix;
}

std::optional<CookieAction> confirm_action_for(char letter) {
    switch (letter) {
    case 's':
        return CookieAction::subscribe_confirm;
    case 't':
        return CookieAction::subscribe_moderate;
    case 'r':
        return CookieAction::subscribe_remote;
    case 'u':
        return CookieAction::unsubscribe_confirm;
    case 'v':
        return CookieAction::unsubscribe_moderate;
    case 'w':
        return CookieAction::unsubscribe_remote;
    default:
        return std::nullopt;
    }
}

bool is_subscription_action(CookieAction a) {
    return a == CookieAction::subscribe_confirm || a == CookieAction::subscribe_moderate ||
           a == CookieAction::subscribe_remote;
}

ManageDecision step(ManageStep s) {
    ManageDecision d;
    d.step = s;
    return d;
}

ManageDecision request(CookieAction action, Audience audience, bool bad = false) {
    ManageDecision d;
    d.step = bad ? ManageStep::bad_cookie : ManageStep::request;
    d.request_action = action;
    d.audience = audience;
    return d;
}

ManageDecision change(bool subscribe, bool by_moderator) {
    ManageDecision d;
    d.step = subscribe ? ManageStep::subscribe_now : ManageStep::unsubscribe_now;
    d.by_moderator = by_moderator;
    return d;
}

ManageDecision refuse(std::string dsn, std::string text) {
    ManageDecision d;
    d.step = ManageStep::refuse;
    d.refusal = perm(std::move(dsn), std::move(text));
    return d;
}

// The moderator-side cookies (t, v: any moderator; r, w: the remote admin who asked).
ManageDecision moderator_confirm(const ManageRequest& r, bool valid, bool may_renew) {
    const bool sub = is_subscription_action(r.confirm_action);
    if (valid)
        return change(sub, true);
    // Only a moderator gets a fresh one: otherwise anyone could have the list mail
    // moderator cookies around by sending rubbish.
    if (may_renew)
        return request(r.confirm_action, Audience::sender, true);
    return refuse("5.7.1", "that moderator confirmation code is not valid or has expired; "
                           "nothing was changed");
}

// edit, edit.FILE, ed.T.COOKIE-FILE: read before the usual verb-target split, since
// text names hold '-' (sub-confirm) and an ed. address ends in a file name, not a target.
bool parse_edit_verb(std::string_view action, ManageRequest& r) {
    if (lowercase(action) == "edit") {
        r.verb = ManageVerb::edit_list;
        return true;
    }
    if (starts_with_nocase(action, "edit.")) {
        r.verb = ManageVerb::edit_get;
        r.edit_file = std::string(action.substr(5));
        return true;
    }
    if (!starts_with_nocase(action, "ed."))
        return false;
    r.verb = ManageVerb::edit_put;
    action.remove_prefix(3);
    const auto dash = action.find('-');
    r.confirmation = parse_confirmation(action.substr(0, dash));
    if (dash != std::string_view::npos)
        r.edit_file = std::string(action.substr(dash + 1));
    return true;
}

ManageDecision decide_edit(const ManageRequest& r, const ManagePolicy& policy,
                           const ManageFacts& facts) {
    if (!policy.modcanedit || !policy.remote)
        return refuse("5.7.2", "the texts of this list cannot be edited by mail");
    if (r.scope != CookieScope::main)
        return refuse("5.7.2", "texts are edited at the list's own edit address, without a "
                               "digest-, allow- or deny- prefix");
    if (!facts.sender_is_moderator)
        return refuse("5.7.1", "only the list's moderators may edit its texts");
    if (r.verb == ManageVerb::edit_list)
        return step(ManageStep::edit_list);
    if (!is_editable_text_name(r.edit_file))
        return refuse("5.1.3", "that is not the name of an editable text file; the edit "
                               "address gives their names");
    if (!facts.edit_contents)
        return refuse("5.1.1", "there is no text/" + r.edit_file +
                                   " to edit; the edit address gives the names of the texts");
    if (r.verb == ManageVerb::edit_get)
        return step(ManageStep::edit_get);
    const CookieVerdict verdict =
        r.confirmation && !facts.key.empty()
            ? check_cookie(facts.key, CookieScope::main, r.confirmation->when,
                           edit_cookie_subject(r.edit_file, facts.sender, *facts.edit_contents),
                           CookieAction::edit_text, r.confirmation->cookie, facts.now,
                           edit_cookie_lifetime)
            : CookieVerdict::forged;
    if (verdict == CookieVerdict::expired)
        return refuse("5.7.1", "that edit code has expired; nothing was changed. Ask for text/" +
                                   r.edit_file + " again");
    if (verdict != CookieVerdict::valid)
        return refuse("5.7.1", "that edit code is not valid for text/" + r.edit_file +
                                   " and your address, or the file has changed since it was "
                                   "sent; nothing was changed. Ask for it again");
    return step(ManageStep::edit_put);
}

} // namespace

ManageRequest parse_manage_request(std::string_view action) {
    ManageRequest r;
    static constexpr std::array<std::pair<std::string_view, CookieScope>, 3> scopes{{
        {"digest-", CookieScope::digest},
        {"allow-", CookieScope::allow},
        {"deny-", CookieScope::deny},
    }};
    for (const auto& [prefix, scope] : scopes)
        if (starts_with_nocase(action, prefix)) {
            r.scope = scope;
            action.remove_prefix(prefix.size());
            break;
        }
    if (parse_edit_verb(action, r))
        return r;
    // The verb ends at the first '-'; what follows is the target (a box may hold '-').
    const auto dash = action.find('-');
    const std::string verb = lowercase(action.substr(0, dash));
    if (dash != std::string_view::npos) {
        r.target = decode_target(action.substr(dash + 1));
        r.bad_target = !r.target;
    }
    if (verb == "subscribe")
        r.verb = ManageVerb::subscribe;
    else if (verb == "unsubscribe")
        r.verb = ManageVerb::unsubscribe;
    else if (verb == "help")
        r.verb = ManageVerb::help;
    else if (verb == "info")
        r.verb = ManageVerb::info;
    else if (verb == "faq")
        r.verb = ManageVerb::faq;
    else if (verb == "query")
        r.verb = ManageVerb::query;
    else if (verb == "list")
        r.verb = ManageVerb::list;
    else if (verb == "listn")
        r.verb = ManageVerb::listn;
    else if (verb == "log" || verb.starts_with("log.") || verb.starts_with("log_")) {
        r.verb = ManageVerb::log;
        // The text after "log." in its original case (matching ignores case anyway).
        if (verb.size() > 3)
            r.log_filter = std::string(action.substr(4, verb.size() - 4));
    } else if (verb.size() >= 3 && verb[1] == 'c' && verb[2] == '.') {
        if (auto a = confirm_action_for(verb[0])) {
            r.verb = ManageVerb::confirm;
            r.confirm_action = *a;
            r.confirmation = parse_confirmation(verb.substr(3));
        }
    }
    return r;
}

ManageDecision decide_manage(const ManageRequest& r, const ManagePolicy& policy,
                             const ManageFacts& facts) {
    if (r.verb == ManageVerb::help || r.verb == ManageVerb::unknown)
        return step(ManageStep::help);
    if (r.bad_target)
        return refuse("5.1.3", "the address in the command is not of the form box=domain; "
                               "nothing was changed");
    const bool remote_admin = policy.remote && facts.sender_is_moderator;
    if (!policy.is_public && !remote_admin)
        return refuse("5.7.2", "this list is not public: only its remote administrators "
                               "may send it commands");
    if (r.scope == CookieScope::deny && !remote_admin)
        return refuse("5.7.2", "only the list's remote administrators may change its deny list");
    const bool self = lowercase(facts.target) == lowercase(facts.sender);

    switch (r.verb) {
    case ManageVerb::info:
        return step(ManageStep::info);
    case ManageVerb::faq:
        return step(ManageStep::faq);
    case ManageVerb::query:
        return step(ManageStep::query);
    case ManageVerb::list:
    case ManageVerb::listn:
    case ManageVerb::log: {
        const bool offered =
            policy.modcanlist &&
            (r.verb == ManageVerb::log ? policy.remote : policy.modsub || policy.remote);
        if (!offered)
            return refuse("5.7.2", "this list does not give out its subscriber list by mail");
        if (!facts.target_is_moderator)
            return refuse("5.7.1", "only the list's moderators may see its subscriber list");
        return step(r.verb == ManageVerb::list    ? ManageStep::list
                    : r.verb == ManageVerb::listn ? ManageStep::listn
                                                  : ManageStep::log);
    }
    case ManageVerb::subscribe:
        // Already subscribed: ezmlm-idx 7 says so straight away (text/sub-nop), before
        // any confirmation or moderation.
        if (facts.target_is_subscriber.value_or(false))
            return change(true, false);
        if (remote_admin)
            return request(CookieAction::subscribe_remote, Audience::sender);
        if (!policy.nosubconfirm || !self)
            return request(CookieAction::subscribe_confirm, Audience::target);
        if (policy.modsub)
            return request(CookieAction::subscribe_moderate, Audience::moderators);
        return change(true, false);
    case ManageVerb::unsubscribe:
        // Likewise not subscribed: text/unsub-nop at once.
        if (!facts.target_is_subscriber.value_or(true))
            return change(false, false);
        if (remote_admin)
            return request(CookieAction::unsubscribe_remote, Audience::sender);
        if (!policy.nounsubconfirm || !self)
            return request(CookieAction::unsubscribe_confirm, Audience::target);
        if (policy.modsub && policy.unsubscribe_moderated)
            return request(CookieAction::unsubscribe_moderate, Audience::moderators);
        return change(false, false);
    case ManageVerb::edit_list:
    case ManageVerb::edit_get:
    case ManageVerb::edit_put:
        return decide_edit(r, policy, facts);
    case ManageVerb::confirm:
        break;
    default:
        return step(ManageStep::help);
    }

    CookieVerdict verdict = CookieVerdict::forged;
    if (r.confirmation && !facts.key.empty())
        verdict = check_cookie(facts.key, r.scope, r.confirmation->when,
                               cookie_subject(facts.target), r.confirm_action,
                               r.confirmation->cookie, facts.now, subscription_cookie_lifetime);
    // Within the migration window, the list's own ezmlm-idx 7 cookies too; 7.x computed
    // them over the target exactly as its command address carries it.
    if (verdict == CookieVerdict::forged && r.confirmation && facts.ezmlm7_key)
        verdict = check_ezmlm7_cookie(
            *facts.ezmlm7_key, r.scope, r.confirmation->when, r.target.value_or(facts.target),
            r.confirm_action, r.confirmation->cookie, facts.now, subscription_cookie_lifetime);
    const bool valid = verdict == CookieVerdict::valid;
    // A moderator confirming his own request needs no moderator's approval.
    const bool own_moderator_request = facts.sender_is_moderator && self;
    switch (r.confirm_action) {
    case CookieAction::subscribe_confirm:
        if (!valid)
            return request(CookieAction::subscribe_confirm, Audience::target, true);
        if (policy.modsub && !own_moderator_request)
            return request(CookieAction::subscribe_moderate, Audience::moderators);
        return change(true, false);
    case CookieAction::unsubscribe_confirm:
        if (!valid)
            return request(CookieAction::unsubscribe_confirm, Audience::target, true);
        if (policy.modsub && policy.unsubscribe_moderated && !own_moderator_request)
            return request(CookieAction::unsubscribe_moderate, Audience::moderators);
        return change(false, false);
    case CookieAction::subscribe_moderate:
    case CookieAction::unsubscribe_moderate:
        return moderator_confirm(r, valid, facts.sender_is_moderator);
    case CookieAction::subscribe_remote:
    case CookieAction::unsubscribe_remote:
        return moderator_confirm(r, valid, remote_admin);
    default:
        return step(ManageStep::help);
    }
}

namespace {

// The name ezmlm gives a scope's sub-database and command prefix.
std::string_view scope_name(CookieScope scope) {
    switch (scope) {
    case CookieScope::digest:
        return "digest";
    case CookieScope::allow:
        return "allow";
    case CookieScope::deny:
        return "deny";
    case CookieScope::main:
        break;
    }
    return "";
}

} // namespace

std::string scope_database(const std::string& dir, CookieScope scope) {
    auto name = scope_name(scope);
    return name.empty() ? dir : dir + "/" + std::string(name);
}

std::string scope_outlocal(const std::string& outlocal, CookieScope scope) {
    auto name = scope_name(scope);
    return name.empty() ? outlocal : outlocal + "-" + std::string(name);
}

std::string_view confirm_verb(CookieAction action) {
    switch (action) {
    case CookieAction::subscribe_confirm:
        return "sc";
    case CookieAction::subscribe_moderate:
        return "tc";
    case CookieAction::subscribe_remote:
        return "rc";
    case CookieAction::unsubscribe_confirm:
        return "uc";
    case CookieAction::unsubscribe_moderate:
        return "vc";
    case CookieAction::unsubscribe_remote:
        return "wc";
    default:
        return "";
    }
}

} // namespace qm::lists

// ezmlm-manage: subscription by mail (ezmlm-manage(1), reference lists.md 1.5-1.6).
// qmail-local runs it for list-<action>@host with the action in $DEFAULT. The work is
// split in two: parse_manage_request and decide_manage are pure (text and facts in, a
// decision out; fuzzed by tests/fuzz/lists_manage_fuzz.cpp), run_manage does the I/O
// (subscriber store, dir/Log, replies through qmail-queue).
//
// Who may do what, and where the mail goes:
// - subscribe / unsubscribe [-box=domain]: a confirmation request (sc. / uc.) goes to the
//   target, never to the sender, so nobody can (un)subscribe a third party. A list with
//   nosubconfirm / nounsubconfirm skips the handshake only when the target is the sender
//   itself (ezmlm skips it for any target; we do not let a stranger act for someone).
// - With modsub, a confirmed subscription goes to the moderators (tc.). With -m also an
//   unsubscription (vc.).
// - With remote, a moderator (a subscriber of dir/mod) who sends subscribe-box=domain
//   gets the confirmation (rc. / wc.) himself; answering it (un)subscribes the target.
// - A bad, expired or forged cookie, or one for another address, changes nothing: the
//   target gets a fresh request with sub-bad / unsub-bad. A bad moderator cookie from a
//   non-moderator is refused (ezmlm: anyone could otherwise make the list mail one).
// - query: the target (not the sender) learns whether it is subscribed.
// - list, listn, log (with modcanlist and modsub or remote): the reply goes to the
//   target, which must be a moderator, whoever sent the request.
// - help, info, faq, and anything unknown: help (info, faq) to the sender.
// - digest-, allow-, deny- in front of a command apply it to dir/digest, dir/allow and
//   dir/deny, with cookies of their own scope; deny- is for remote admins only.
// - edit, edit.FILE, ed.T.COOKIE-FILE (with modcanedit and remote): a moderator edits
//   text/FILE by mail (qm/lists/manage/edit.hpp); everyone else is refused. The answer goes to
//   the sender, who must be the moderator the cookie was made for.
#pragma once

#include "qm/lists/core/command_address.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/result.hpp"

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

enum class ManageVerb {
    subscribe,
    unsubscribe,
    confirm, // xc.T.COOKIE: which one is in ManageRequest::confirm_action
    help,
    info,
    faq,
    query,
    list,
    listn,
    log,
    edit_list, // edit: the names of the editable texts
    edit_get,  // edit.FILE: text/FILE to edit
    edit_put,  // ed.T.COOKIE-FILE: the edited text/FILE
    unknown,
};

struct ManageRequest {
    ManageVerb verb = ManageVerb::unknown;
    CookieScope scope = CookieScope::main;
    // For confirm: s, t, r, u, v or w.
    CookieAction confirm_action = CookieAction::subscribe_confirm;
    // The T.COOKIE part; nullopt when it was malformed (treated as a bad cookie).
    std::optional<Confirmation> confirmation;
    // The -box=domain target, decoded. nullopt: none given (the sender is the target).
    std::optional<std::string> target;
    // A target was given but is not a plain box=domain (tricks such as box@x=domain,
    // quotes, spaces, newlines): the request is refused, never guessed at.
    bool bad_target = false;
    // log.TEXT / log_TEXT: only Log lines containing TEXT.
    std::string log_filter;
    // edit.FILE, ed.T.COOKIE-FILE: FILE as written (ed.'s T.COOKIE is in confirmation).
    std::string edit_file;
};

// action: $DEFAULT, e.g. "subscribe", "digest-sc.1700000000.kpjg...-joe=far.example",
// "unsubscribe-joe=far.example". Verbs ignore case; the target keeps its case.
[[nodiscard]] ManageRequest parse_manage_request(std::string_view action);

// What the list allows, from its flag files (and ezmlm-manage -m).
struct ManagePolicy {
    bool is_public = true;              // dir/public
    bool nosubconfirm = false;          // dir/nosubconfirm
    bool nounsubconfirm = false;        // dir/nounsubconfirm
    bool modsub = false;                // dir/modsub
    bool remote = false;                // dir/remote
    bool modcanlist = false;            // dir/modcanlist
    bool modcanedit = false;            // dir/modcanedit
    bool unsubscribe_moderated = false; // -m: with modsub, unsubscriptions need a moderator
};

// What run_manage looked up before deciding.
struct ManageFacts {
    std::string sender;               // $SENDER, normalised
    std::string target;               // the request's target, normalised (else the sender)
    bool sender_is_moderator = false; // in dir/mod (looked up with modsub or remote)
    bool target_is_moderator = false;
    // For subscribe and unsubscribe: whether the target is in the database the command
    // acts on (nullopt: not looked up). ezmlm-idx 7 answers at once, without a
    // confirmation, when the request would change nothing.
    std::optional<bool> target_is_subscriber;
    std::string key; // dir/key
    // dir/key again while the list's ezmlm-idx 7 cookie window is open (ezmlm7_cookie.hpp):
    // confirmations a moved list's ezmlm-idx sent out are honoured until then.
    std::optional<std::string> ezmlm7_key;
    std::time_t now = 0;
    // edit.FILE, ed.: text/FILE as it is now; nullopt when it is missing or no regular
    // file (looked up only for a moderator of a list with modcanedit and remote).
    std::optional<std::string> edit_contents;
};

enum class ManageStep {
    refuse,          // bounce the request: decision.refusal says why
    help,            // help (with mod-help for a moderator) to the sender
    info,            // text/info to the sender
    faq,             // text/faq to the sender
    request,         // mail a new confirmation request (decision.request_action)
    bad_cookie,      // the same, after sub-bad / unsub-bad
    subscribe_now,   // add the target; sub-ok or sub-nop to the target
    unsubscribe_now, // remove the target; unsub-ok or unsub-nop to the target
    query,           // tell the target whether it is subscribed
    list,            // the subscribers to the target (a moderator)
    listn,           // their number
    log,             // the Log lines
    edit_list,       // the editable texts to the sender (a moderator)
    edit_get,        // text/FILE with an ed. cookie to the sender
    edit_put,        // the cookie is good: replace text/FILE with the reply's text
};

enum class Audience { target, sender, moderators };

struct ManageDecision {
    ManageStep step = ManageStep::refuse;
    // For request and bad_cookie: the cookie the new request carries, and who gets it.
    CookieAction request_action = CookieAction::subscribe_confirm;
    Audience audience = Audience::target;
    // subscribe_now / unsubscribe_now approved by a moderator or remote admin: the target
    // is told so (text/mod-sub) and Log says who.
    bool by_moderator = false;
    Failure refusal;
};

// Pure: the same request, policy and facts always give the same decision.
[[nodiscard]] ManageDecision decide_manage(const ManageRequest& request, const ManagePolicy& policy,
                                           const ManageFacts& facts);

// The sub-database a scope acts on: dir, dir/digest, dir/allow, dir/deny.
[[nodiscard]] std::string scope_database(const std::string& dir, CookieScope scope);
// The local part a scope's command addresses use: outlocal, outlocal-digest, ...
[[nodiscard]] std::string scope_outlocal(const std::string& outlocal, CookieScope scope);
// "sc", "tc", ... for a confirmation cookie action.
[[nodiscard]] std::string_view confirm_verb(CookieAction action);

// ezmlm-idx 7's switches of ezmlm-manage. nullopt leaves it to the list's flag file, as
// without the switch.
struct ManageOptions {
    bool unsubscribe_moderated = false; // -m / -M
    std::optional<bool> nosubconfirm;   // -S / -s: dir/nosubconfirm
    std::optional<bool> nounsubconfirm; // -U / -u: dir/nounsubconfirm
    std::optional<bool> modcanlist;     // -l / -L: dir/modcanlist
    std::optional<bool> modcanedit;     // -e, -d / -E, -D: dir/modcanedit
    std::optional<bool> omit_bottom;    // -B / -b: dir/omitbottom
    // -C: get requests are refused. -c (default): they are not ezmlm-manage's (ezmlm-get
    // answers them earlier in the manager; reaching here, one gets help).
    bool get = true;
    // -N: a successful change made by a moderator or remote admin, or made without the
    // target's handshake, is not announced to the target. -n (default): it is.
    bool notify = true;
    // -Q: the list's owner gets a copy of the answer to an unsubscription that found
    // nobody (usually a subscriber who forgot the address; not when a moderator asked);
    // -QQ: also of every answer that added or removed someone. -q (default): none.
    int copy_owner = 0;
    // -f: a subscription's Log line carries the From: field of the mail that made it.
    // -F (default): it does not.
    bool log_from = false;
};

// The whole of ezmlm-manage for one request. env holds qmail-local's SENDER, DEFAULT
// (or LOCAL, from which the part after inlocal- is taken when DEFAULT is unset);
// message is the request as delivered.
struct ManageOutcome {
    std::string info; // one line for the log ("subscribed joe@far.example", ...)
};
[[nodiscard]] Result<ManageOutcome> run_manage(const std::string& dir,
                                               const std::map<std::string, std::string>& env,
                                               std::string_view message,
                                               const ManageOptions& options = {});

} // namespace qm::lists

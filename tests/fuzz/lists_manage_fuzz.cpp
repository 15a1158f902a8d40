// libFuzzer target for ezmlm-manage's command parser and decision (qm/lists/manage/manage.hpp):
// any $DEFAULT must parse, every decision must keep the rules that protect third
// parties: nothing changes for someone else without a valid cookie or a moderator, and
// a confirmation request goes to the sender only when the sender is a moderator; only
// a moderator edits a text, and only with a valid cookie. The same bytes, read as a
// moderator's reply, must give an edited text within the size limit or none.
#include "fuzz_check.hpp"
#include "qm/address.hpp"
#include "qm/lists/manage/edit.hpp"
#include "qm/lists/manage/manage.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace qm::lists;
    if (size < 2)
        return 0;
    const uint8_t p = data[0], f = data[1];
    const std::string_view action(reinterpret_cast<const char*>(data + 2), size - 2);

    for (const EditedText& t : {edited_text_of(action), text_between_markers(action)}) {
        if (t.problem != EditProblem::none) {
            QM_FUZZ_CHECK(t.text.empty());
            continue;
        }
        QM_FUZZ_CHECK(t.text.size() <= max_edited_text);
        QM_FUZZ_CHECK(t.text.empty() || t.text.back() == '\n');
        // The text never holds its own end marker (it would end there).
        std::string_view rest = t.text;
        while (!rest.empty()) {
            std::string_view line = rest.substr(0, rest.find('\n'));
            rest.remove_prefix(line.size() + 1);
            while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
                line.remove_suffix(1);
            QM_FUZZ_CHECK(qm::address::lowercase(line) != qm::address::lowercase(edit_end_marker));
        }
    }

    const ManageRequest r = parse_manage_request(action);
    QM_FUZZ_CHECK(!(r.bad_target && r.target));
    if (r.target) {
        QM_FUZZ_CHECK(r.target->find('@') == r.target->rfind('@'));
        for (unsigned char c : *r.target)
            QM_FUZZ_CHECK(c > ' ' && c < 127);
    }

    ManagePolicy policy;
    policy.is_public = p & 1;
    policy.nosubconfirm = p & 2;
    policy.nounsubconfirm = p & 4;
    policy.modsub = p & 8;
    policy.remote = p & 16;
    policy.modcanlist = p & 32;
    policy.unsubscribe_moderated = p & 64;
    policy.modcanedit = p & 128;
    ManageFacts facts;
    facts.sender = "joe@far.example";
    facts.target = r.target ? *r.target : facts.sender;
    facts.sender_is_moderator = f & 1;
    facts.target_is_moderator = f & 2;
    facts.key = (f & 4) ? "secret" : "";
    if (f & 8)
        facts.edit_contents = std::string(action.substr(0, action.size() / 2));
    facts.now = 1'700'000'000 + (f >> 4);

    const ManageDecision d = decide_manage(r, policy, facts);
    const bool remote_admin = policy.remote && facts.sender_is_moderator;
    const bool self = qm::address::lowercase(facts.target) == facts.sender;
    if (r.bad_target && r.verb != ManageVerb::help && r.verb != ManageVerb::unknown)
        QM_FUZZ_CHECK(d.step == ManageStep::refuse);
    if (d.step == ManageStep::refuse)
        QM_FUZZ_CHECK(d.refusal.permanent() && !d.refusal.text.empty());
    if (d.step == ManageStep::subscribe_now || d.step == ManageStep::unsubscribe_now) {
        QM_FUZZ_CHECK(!r.bad_target);
        if (r.verb == ManageVerb::confirm) {
            QM_FUZZ_CHECK(r.confirmation && !facts.key.empty());
            QM_FUZZ_CHECK(check_cookie(facts.key, r.scope, r.confirmation->when,
                                       cookie_subject(facts.target), r.confirm_action,
                                       r.confirmation->cookie, facts.now,
                                       subscription_cookie_lifetime) == CookieVerdict::valid);
        } else {
            // Without a cookie only the sender itself, on a list that asks for no
            // confirmation, is (un)subscribed at once.
            QM_FUZZ_CHECK(self && !d.by_moderator && !remote_admin);
            QM_FUZZ_CHECK(d.step == ManageStep::subscribe_now ? policy.nosubconfirm
                                                              : policy.nounsubconfirm);
        }
    }
    if (d.step == ManageStep::request || d.step == ManageStep::bad_cookie) {
        if (d.audience == Audience::sender)
            QM_FUZZ_CHECK(facts.sender_is_moderator);
        if (d.audience == Audience::moderators)
            QM_FUZZ_CHECK(policy.modsub);
    }
    if (d.step == ManageStep::list || d.step == ManageStep::listn || d.step == ManageStep::log)
        QM_FUZZ_CHECK(facts.target_is_moderator && policy.modcanlist);
    if (d.step == ManageStep::edit_list || d.step == ManageStep::edit_get ||
        d.step == ManageStep::edit_put)
        QM_FUZZ_CHECK(policy.modcanedit && remote_admin && r.scope == CookieScope::main);
    if (d.step == ManageStep::edit_get || d.step == ManageStep::edit_put)
        QM_FUZZ_CHECK(is_editable_text_name(r.edit_file) && facts.edit_contents);
    if (d.step == ManageStep::edit_put) {
        QM_FUZZ_CHECK(r.confirmation && !facts.key.empty());
        QM_FUZZ_CHECK(
            check_cookie(facts.key, CookieScope::main, r.confirmation->when,
                         edit_cookie_subject(r.edit_file, facts.sender, *facts.edit_contents),
                         CookieAction::edit_text, r.confirmation->cookie, facts.now,
                         edit_cookie_lifetime) == CookieVerdict::valid);
    }
    if (!policy.is_public && !remote_admin)
        QM_FUZZ_CHECK(d.step == ManageStep::refuse || d.step == ManageStep::help);
    return 0;
}

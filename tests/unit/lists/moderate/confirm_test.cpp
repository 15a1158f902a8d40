// Sender confirmation of posts (ezmlm-make -y): the wiring ezmlm-make writes, the answer
// addresses, and the library's store/confirm/discard/clean steps, with $QMAILQUEUE a
// script that keeps every message the list hands over.
#include "qm/inject/header.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/manage/make.hpp"
#include "qm/lists/moderate/moderation.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace {

qm::lists::MakeRequest confirmed_request(const qmtest::TempDir& tmp) {
    qm::lists::MakeRequest r;
    r.dir = tmp / "team";
    r.dot = tmp / ".qmail-team";
    r.local = "joe-team";
    r.host = "lists.example";
    r.bin_dir = "/opt/ezmlm";
    r.set['y'] = true;
    return r;
}

qm::lists::MakeRequest edit_request(const std::string& dir) {
    qm::lists::MakeRequest r;
    r.dir = dir;
    r.edit = true;
    r.bin_dir = "/opt/ezmlm";
    return r;
}

// A -y list whose queued mail lands in tmp/queued (QMAILQUEUE), at a fixed clock.
struct ConfirmList {
    qmtest::TempDir tmp;
    std::string dir = tmp / "team";
    std::string queued = tmp / "queued";

    explicit ConfirmList(bool moderated = false) {
        auto r = confirmed_request(tmp);
        r.set['m'] = moderated;
        REQUIRE(qm::lists::make_list(r));
        fs::create_directory(queued);
        const std::string script = tmp / "qq";
        qmtest::spit(script, "#!/bin/sh\nn=$$.$(date +%s%N)\ncat > '" + queued +
                                 "'/$n.msg\ncat <&1 > '" + queued + "'/$n.env\n");
        ::chmod(script.c_str(), 0755);
        ::setenv("QMAILQUEUE", script.c_str(), 1);
        at(1700000000);
    }
    ~ConfirmList() {
        ::unsetenv("QMAILQUEUE");
        ::unsetenv("QM_LISTS_NOW");
    }
    ConfirmList(const ConfirmList&) = delete;
    ConfirmList& operator=(const ConfirmList&) = delete;

    static void at(long long clock) { ::setenv("QM_LISTS_NOW", std::to_string(clock).c_str(), 1); }
    [[nodiscard]] std::vector<std::string> messages() const {
        std::vector<std::string> out;
        for (const auto& f : qmtest::list_dir(queued))
            if (f.ends_with(".msg"))
                out.push_back(qmtest::slurp(queued + "/" + f));
        return out;
    }
    [[nodiscard]] std::vector<std::string> waiting() const {
        return qmtest::list_dir(dir + "/mod/unconfirmed");
    }
    // dave's post, stored; returns the confirmation request it produced.
    std::string post(const std::string& subject, const std::string& poster = "dave@far.example") {
        const size_t before = messages().size();
        auto stored = qm::lists::store_post(dir, poster,
                                            "From: " + poster + "\nSubject: " + subject +
                                                "\n\nbody of " + subject + "\n");
        REQUIRE(stored);
        CHECK(stored->held);
        CHECK(stored->unconfirmed);
        REQUIRE(messages().size() == before + 1);
        for (const auto& m : messages())
            if (m.find("body of " + subject + "\n") != std::string::npos &&
                m.find("Subject: CONFIRM post to") != std::string::npos)
                return m;
        FAIL("no confirmation request for " + subject);
        return {};
    }
};

// A header field's unfolded value, as a mail reader sees it ("" if absent).
std::string field(const std::string& msg, std::string_view name) {
    for (const auto& f : qm::inject::split_message(msg).fields)
        if (qm::inject::field_name(f) == name)
            return qm::inject::unfold(qm::inject::field_value(f));
    return "";
}

// The request in list-confirm-T.P.COOKIE@host (or discard-).
qm::lists::ConfirmRequest request_in(const std::string& address) {
    const std::string local = address.substr(0, address.find('@'));
    const std::string def = local.substr(local.find("-", 9) + 1); // after joe-team-VERB
    auto r = qm::lists::parse_confirm_request(local, def);
    REQUIRE(r);
    return *r;
}

} // namespace

TEST_CASE("ezmlm-make -y asks posters through ezmlm-store and answers through the confirmer",
          "[lists][confirm]") {
    qmtest::TempDir tmp;
    REQUIRE(qm::lists::make_list(confirmed_request(tmp)));
    const std::string d = tmp / "team";
    const std::string warn = "|'/opt/ezmlm/ezmlm-warn' '" + d + "' || exit 0\n";
    const std::string clean = "|'/opt/ezmlm/ezmlm-clean' '" + d + "' || exit 0\n";
    // Not moderated, yet ezmlm-store: it keeps the post for its sender.
    CHECK(qmtest::slurp(d + "/editor") == "|'/opt/ezmlm/ezmlm-reject' '" + d +
                                              "'\n|'/opt/ezmlm/ezmlm-store' '" + d + "'\n" + clean +
                                              warn);
    CHECK(qmtest::slurp(d + "/confirmer") ==
          "|'/opt/ezmlm/ezmlm-weed'\n|'/opt/ezmlm/ezmlm-confirm' '" + d + "'\n" + clean + warn);
    for (const char* suffix : {"-confirm-default", "-discard-default"})
        CHECK(fs::read_symlink(tmp / (std::string(".qmail-team") + suffix)) == d + "/confirmer");
    CHECK(fs::exists(d + "/confirmpost"));
    CHECK(fs::is_directory(d + "/mod/unconfirmed"));
    CHECK(qmtest::slurp(d + "/text/post-confirm").find("<#A#>") != std::string::npos);
    CHECK_FALSE(fs::exists(d + "/moderator"));

    // -u: subscribers only, and they confirm too.
    auto edit = edit_request(d);
    edit.set['u'] = true;
    REQUIRE(qm::lists::make_list(edit));
    CHECK(qmtest::slurp(d + "/editor") ==
          "|'/opt/ezmlm/ezmlm-reject' '" + d + "'\n|'/opt/ezmlm/ezmlm-issubn' '" + d +
              "' . digest allow mod || { echo \"Sorry, only subscribers may post to this list. "
              "(#5.7.2)\"; "
              "exit 100; }\n|'/opt/ezmlm/ezmlm-store' '" +
              d + "'\n|'/opt/ezmlm/ezmlm-clean' -R '" + d + "' || exit 0\n" + warn);

    // -Y: the confirmer and its links go; posts go straight out again.
    edit.set = {{'u', false}, {'y', false}};
    REQUIRE(qm::lists::make_list(edit));
    CHECK_FALSE(fs::exists(d + "/confirmer"));
    CHECK_FALSE(fs::exists(d + "/confirmpost"));
    for (const char* suffix : {"-confirm-default", "-discard-default"})
        CHECK_FALSE(fs::is_symlink(tmp / (std::string(".qmail-team") + suffix)));
    CHECK(qmtest::slurp(d + "/editor") ==
          "|'/opt/ezmlm/ezmlm-reject' '" + d + "'\n|'/opt/ezmlm/ezmlm-send' '" + d + "'\n" + warn);
    // And back on with -e.
    edit.set = {{'y', true}};
    REQUIRE(qm::lists::make_list(edit));
    CHECK(fs::read_symlink(tmp / ".qmail-team-discard-default") == d + "/confirmer");
}

TEST_CASE("confirmation addresses", "[lists][confirm]") {
    const std::string cookie = "abcdefghijklmnopabcd";
    auto r = qm::lists::parse_confirm_request("joe-team-confirm-1700000000.42." + cookie,
                                              "1700000000.42." + cookie);
    REQUIRE(r);
    CHECK(r->action == qm::lists::ConfirmAction::confirm);
    CHECK(r->name.text() == "1700000000.42");
    CHECK(r->cookie == cookie);
    r = qm::lists::parse_confirm_request("joe-team-Discard-1.2." + cookie, "1.2." + cookie);
    REQUIRE(r);
    CHECK(r->action == qm::lists::ConfirmAction::discard);
    // The moderators' verbs are not the posters', and the other way round.
    CHECK_FALSE(qm::lists::parse_confirm_request("joe-team-accept-1.2.x", "1.2.x"));
    CHECK_FALSE(qm::lists::parse_moderation_request("joe-team-confirm-1.2.x", "1.2.x"));
    CHECK_FALSE(qm::lists::parse_confirm_request("joe-team-confirm-1.2", "1.2"));
    CHECK_FALSE(qm::lists::parse_confirm_request("joe-team-confirm-1.2.x", "1.3.x"));
    CHECK_FALSE(qm::lists::parse_confirm_request("", ""));
}

TEST_CASE("a post waits for its sender, who confirms it once", "[lists][confirm]") {
    ConfirmList l;
    REQUIRE(qm::lists::subscribe(l.dir, "alice@lists.example"));
    const std::string request = l.post("first");
    INFO(request);
    REQUIRE(l.waiting().size() == 1);
    const std::string name = l.waiting()[0];
    const std::string path = l.dir + "/mod/unconfirmed/" + name;
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700); // complete, as a pending post
    CHECK(qmtest::slurp(path).starts_with("Return-Path: <dave@far.example>\n"
                                          "Delivered-To: moderator for joe-team@lists.example\n"
                                          "From: dave@far.example\n"));
    CHECK(field(request, "To") == "dave@far.example");
    const std::string confirm = field(request, "Reply-To");
    CHECK(confirm.starts_with("joe-team-confirm-" + name + "."));
    CHECK(confirm.ends_with("@lists.example"));
    CHECK(field(request, "From") == confirm);
    const std::string discard = "joe-team-discard-" + confirm.substr(17);
    CHECK(request.find("\n   " + discard + "\n") != std::string::npos);
    CHECK(request.find("Content-Type: message/rfc822\n\nReturn-Path: <dave@far.example>\n") !=
          std::string::npos);
    CHECK(qmtest::slurp(l.dir + "/num") == "0:0\n");

    auto done = qm::lists::confirm_post(l.dir, request_in(confirm));
    REQUIRE(done);
    CHECK(done->kind == qm::lists::Confirmed::Kind::sent);
    CHECK(done->sent.number == 1);
    CHECK(done->sent.recipients == 1);
    CHECK(l.waiting().empty());
    CHECK(qmtest::slurp(l.dir + "/num").starts_with("1"));
    CHECK(qmtest::slurp(l.dir + "/archive/0/01").find("\n\nbody of first\n") != std::string::npos);

    // Answered again, or discarded afterwards: nothing left to act on, nothing sent.
    const size_t sent = l.messages().size();
    for (const auto& again : {confirm, discard}) {
        auto twice = qm::lists::confirm_post(l.dir, request_in(again));
        REQUIRE_FALSE(twice);
        CHECK(twice.error().permanent());
        CHECK(twice.error().text.find("no longer have the post " + name) != std::string::npos);
    }
    CHECK(l.messages().size() == sent);
    CHECK(qmtest::slurp(l.dir + "/num").starts_with("1"));
}

TEST_CASE("forged, borrowed and moderator cookies confirm nothing", "[lists][confirm]") {
    ConfirmList l;
    const std::string first = field(l.post("first"), "Reply-To");
    ConfirmList::at(1700000001); // another second: another name
    const std::string second = field(l.post("second", "erin@far.example"), "Reply-To");
    REQUIRE(l.waiting().size() == 2);
    auto first_request = request_in(first);
    auto second_request = request_in(second);
    auto refused = [&](const qm::lists::ConfirmRequest& r, const std::string& why) {
        auto done = qm::lists::confirm_post(l.dir, r);
        REQUIRE_FALSE(done);
        CHECK(done.error().permanent());
        CHECK(done.error().text.find(why) != std::string::npos);
        CHECK(l.waiting().size() == 2);
        CHECK(qmtest::slurp(l.dir + "/num") == "0:0\n");
    };
    // A cookie changed by hand.
    auto forged = first_request;
    forged.cookie[0] = forged.cookie[0] == 'a' ? 'b' : 'a';
    refused(forged, "illegal confirmation request");
    // The first post's cookie on the second post's name.
    auto borrowed = second_request;
    borrowed.cookie = first_request.cookie;
    refused(borrowed, "illegal confirmation request");
    // The moderators' cookie for the same name is of another kind.
    auto key = qm::lists::read_list_key(l.dir);
    REQUIRE(key);
    auto as_moderator = first_request;
    as_moderator.cookie =
        qm::lists::make_cookie(*key, qm::lists::CookieScope::main, first_request.name.when,
                               first_request.name.text(), qm::lists::CookieAction::moderate_post);
    refused(as_moderator, "illegal confirmation request");
    // The right cookie, but the post under that name is now someone else's.
    const std::string path = l.dir + "/mod/unconfirmed/" + first_request.name.text();
    const std::string original = qmtest::slurp(path);
    qmtest::spit(path, "Return-Path: <erin@far.example>" + original.substr(original.find('\n')));
    refused(first_request, "illegal confirmation request");
    qmtest::spit(path, original);
    // And the confirmation cookie is no moderator's accept.
    auto accept = qm::lists::parse_moderation_request(
        "joe-team-accept-" + first_request.name.text() + "." + first_request.cookie,
        first_request.name.text() + "." + first_request.cookie);
    REQUIRE(accept);
    auto moderated = qm::lists::moderate_post(l.dir, *accept, "");
    REQUIRE_FALSE(moderated);
    CHECK(moderated.error().text.find("illegal moderator request") != std::string::npos);
    // Expired: long after, even with the right cookie.
    ConfirmList::at(1700000000 + qm::lists::subscription_cookie_lifetime + 10);
    refused(first_request, "has expired");
}

TEST_CASE("a discarded post goes nowhere", "[lists][confirm]") {
    ConfirmList l;
    REQUIRE(qm::lists::subscribe(l.dir, "alice@lists.example"));
    const std::string confirm = field(l.post("oops"), "Reply-To");
    const size_t sent = l.messages().size();
    auto discard = request_in("joe-team-discard-" + confirm.substr(17));
    auto done = qm::lists::confirm_post(l.dir, discard);
    REQUIRE(done);
    CHECK(done->kind == qm::lists::Confirmed::Kind::discarded);
    CHECK(l.waiting().empty());
    CHECK(l.messages().size() == sent);
    CHECK(qmtest::slurp(l.dir + "/num") == "0:0\n");
    CHECK_FALSE(qm::lists::confirm_post(l.dir, request_in(confirm)));
    CHECK(qmtest::slurp(l.dir + "/num") == "0:0\n");
}

TEST_CASE("on a moderated list a confirmed post goes to the moderators", "[lists][confirm]") {
    ConfirmList l(true);
    REQUIRE(qm::lists::subscribe(l.dir + "/mod", "mona@lists.example"));
    const std::string confirm = field(l.post("held"), "Reply-To");
    CHECK(qmtest::list_dir(l.dir + "/mod/pending").empty());
    ConfirmList::at(1700000100);
    auto done = qm::lists::confirm_post(l.dir, request_in(confirm));
    REQUIRE(done);
    CHECK(done->kind == qm::lists::Confirmed::Kind::held);
    CHECK(done->stored.moderators == 1);
    CHECK(l.waiting().empty());
    auto pending = qmtest::list_dir(l.dir + "/mod/pending");
    REQUIRE(pending.size() == 1);
    CHECK(pending[0] == done->stored.name.text());
    CHECK(pending[0].starts_with("1700000100."));
    // Held once, as ezmlm-store holds it: one Return-Path, one Delivered-To line.
    const std::string held = qmtest::slurp(l.dir + "/mod/pending/" + pending[0]);
    CHECK(held.starts_with("Return-Path: <dave@far.example>\n"
                           "Delivered-To: moderator for joe-team@lists.example\n"
                           "From: dave@far.example\n"));
    bool asked = false;
    for (const auto& m : l.messages())
        if (field(m, "Subject") == "MODERATE for joe-team@lists.example") {
            asked = true;
            CHECK(field(m, "Reply-To").starts_with("joe-team-accept-" + pending[0] + "."));
        }
    CHECK(asked);
    CHECK(qmtest::slurp(l.dir + "/num") == "0:0\n");
}

TEST_CASE("a -y post without a sender, or from a stranger on a -o list, is refused",
          "[lists][confirm]") {
    ConfirmList l(true);
    auto none = qm::lists::store_post(l.dir, std::nullopt, "Subject: x\n\ny\n");
    REQUIRE_FALSE(none);
    CHECK(none.error().permanent());
    CHECK(none.error().text.find("no sender address") != std::string::npos);
    qmtest::spit(l.dir + "/modpostonly", "");
    REQUIRE(qm::lists::subscribe(l.dir + "/mod", "mona@lists.example"));
    auto stranger = qm::lists::store_post(l.dir, "dave@far.example", "Subject: x\n\ny\n");
    REQUIRE_FALSE(stranger);
    CHECK(stranger.error().text.find("not allowed to post") != std::string::npos);
    CHECK(l.waiting().empty());
    CHECK(l.messages().empty());
}

TEST_CASE("ezmlm-clean drops unconfirmed posts after modtime without mailing anyone",
          "[lists][confirm]") {
    ConfirmList l;
    l.post("forgotten");
    const size_t sent = l.messages().size();
    ConfirmList::at(1700000000 + 119 * 3600);
    auto early = qm::lists::clean_moderation_queue(l.dir, std::nullopt);
    REQUIRE(early);
    CHECK(early->removed == 0);
    CHECK(l.waiting().size() == 1);
    ConfirmList::at(1700000000 + 121 * 3600);
    auto late = qm::lists::clean_moderation_queue(l.dir, std::nullopt);
    REQUIRE(late);
    CHECK(late->removed == 1);
    CHECK(late->returned == 0);
    CHECK(l.waiting().empty());
    CHECK(l.messages().size() == sent);
}

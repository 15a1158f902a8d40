// Post moderation end to end through the real qmail-send into real maildirs: ezmlm-store
// holds a post and mails the moderator, whose answer to list-accept-... (or
// list-reject-...) reaches ezmlm-moderate through the links ezmlm-make -m made; forged
// and repeated answers change nothing; ezmlm-clean returns what nobody answered; with -u
// subscribers bypass moderation. ezmlm-reject bounces unsuitable posts before any of it.
#include "list_mta.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;

using liststest::has_line;
using liststest::ListMta;

namespace {

std::string only_file(const std::string& dir) {
    auto files = qmtest::list_dir(dir);
    REQUIRE(files.size() == 1);
    return files[0];
}

struct ModeratedList {
    ListMta m{{"alice", "bob", "carol", "dave", "mona"}};

    explicit ModeratedList(const std::vector<std::string>& switches = {"-m"}) {
        m.make(switches);
        m.tool("ezmlm-sub", {m.dir, "alice@test.example", "bob@test.example"});
        m.tool("ezmlm-sub", {m.dir + "/mod", "mona@test.example"});
        m.start();
    }
    // dave posts; returns the moderation request mona gets for it.
    std::string post_and_wait_for_request(const std::string& subject, size_t nth = 1) {
        m.inject("From: Dave <dave@test.example>\nTo: joe-team@test.example\nSubject: " + subject +
                 "\n\nplease distribute " + subject + "\n");
        REQUIRE(m.wait_messages("mona", nth));
        for (const auto& msg : m.messages("mona"))
            if (msg.find("please distribute " + subject + "\n") != std::string::npos)
                return msg;
        FAIL("no moderation request for " + subject);
        return "";
    }
    void answer(const std::string& address, const std::string& body = "ok\n") {
        m.inject("From: mona@test.example\nTo: " + address + "\nSubject: Re: MODERATE\n\n" + body,
                 "mona");
    }
};

} // namespace

TEST_CASE("a moderated post waits for the moderator and goes out numbered once accepted",
          "[scenario][lists][moderation]") {
    ModeratedList l;
    auto request = l.post_and_wait_for_request("first");
    INFO(request);
    CHECK(has_line(request, "Subject: MODERATE for joe-team@test.example"));
    CHECK(has_line(request, "To: joe-team-moderators@test.example"));
    const std::string accept = qmtest::header_field(request, "Reply-To");
    const std::string reject = qmtest::header_field(request, "From");
    const std::string name = only_file(l.m.dir + "/mod/pending");
    CHECK(accept.starts_with("joe-team-accept-" + name + "."));
    CHECK(accept.ends_with("@test.example"));
    CHECK(reject == "joe-team-reject-" + accept.substr(16));
    CHECK(request.find("Content-Type: message/rfc822\n\nReturn-Path: <dave@test.example>\n"
                       "Delivered-To: moderator for joe-team@test.example\n") != std::string::npos);
    CHECK(request.find("The enclosed message was posted to the joe-team@test.example mailing "
                       "list,\nwhich is moderated.") != std::string::npos);
    CHECK(request.find("\n   " + accept + "\n") != std::string::npos); // named in the text too
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("alice").empty());
    CHECK(qmtest::slurp(l.m.dir + "/num") == "0:0\n");

    l.answer(accept);
    for (const char* user : {"alice", "bob"}) {
        INFO(user);
        REQUIRE(l.m.wait_messages(user, 1));
        const auto msg = l.m.messages(user)[0];
        INFO(msg);
        CHECK(msg.starts_with("Return-Path: <joe-team-return-1-" + std::string(user) +
                              "=test.example@test.example>\n"));
        CHECK(has_line(msg, "Subject: first"));
        CHECK(has_line(msg, "From: Dave <dave@test.example>"));
        CHECK(msg.ends_with("\n\nplease distribute first\n"));
    }
    CHECK(qmtest::slurp(l.m.dir + "/num").starts_with("1:"));
    CHECK(qmtest::list_dir(l.m.dir + "/mod/pending").empty());
    CHECK(only_file(l.m.dir + "/mod/accepted") == name);
    // The archive keeps the post as distributed, from its poster, not from the moderator.
    CHECK(qmtest::slurp(l.m.dir + "/archive/0/01").find("From: Dave <dave@test.example>\n") !=
          std::string::npos);

    // The same answer again: only logged as already handled; nothing is sent twice.
    l.answer(accept);
    REQUIRE(l.m.wait_idle());
    REQUIRE(qmtest::wait_for([&] {
        return l.m.send->log().find("already_accepted") != std::string::npos ||
               l.m.send->log().find("already accepted") != std::string::npos;
    }));
    CHECK(l.m.messages("alice").size() == 1);
    CHECK(l.m.messages("mona").size() == 1);
    CHECK(qmtest::slurp(l.m.dir + "/num").starts_with("1:"));

    // A forged cookie: the moderator is told, nothing is distributed.
    auto forged_request = l.post_and_wait_for_request("second", 2);
    std::string forged = qmtest::header_field(forged_request, "Reply-To");
    auto dot = forged.rfind('.', forged.find('@'));
    forged.replace(dot + 1, 20,
                   forged[dot + 1] == 'a' ? "bbbbbbbbbbbbbbbbbbbb" : "aaaaaaaaaaaaaaaaaaaa");
    l.answer(forged);
    REQUIRE(l.m.wait_messages("mona", 3));
    bool told = false;
    for (const auto& msg : l.m.messages("mona"))
        told = told || msg.find("illegal moderator request") != std::string::npos;
    CHECK(told);
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("alice").size() == 1);
    CHECK(qmtest::list_dir(l.m.dir + "/mod/pending").size() == 1);
    CHECK(qmtest::slurp(l.m.dir + "/num").starts_with("1:"));
}

TEST_CASE("a rejected post goes back to its poster with the moderator's comment",
          "[scenario][lists][moderation]") {
    ModeratedList l;
    auto request = l.post_and_wait_for_request("offtopic");
    const std::string reject = qmtest::header_field(request, "From");
    const std::string accept = qmtest::header_field(request, "Reply-To");
    l.answer(reject, "> please distribute offtopic\n\n%%% Start comment\n"
                     "This belongs on the other list.\n%%% End comment\n");
    REQUIRE(l.m.wait_messages("dave", 1));
    const auto returned = l.m.messages("dave")[0];
    INFO(returned);
    CHECK(has_line(returned, "Subject: Returned post for joe-team@test.example"));
    CHECK(has_line(returned, "From: joe-team-owner@test.example"));
    CHECK(returned.find("did not accept your post") != std::string::npos);
    CHECK(returned.find("\nThis belongs on the other list.\n") != std::string::npos);
    CHECK(returned.find("\n\nplease distribute offtopic\n") != std::string::npos);
    CHECK(only_file(l.m.dir + "/mod/rejected").size() > 0);
    CHECK(qmtest::list_dir(l.m.dir + "/mod/pending").empty());

    // Accepting it afterwards is refused: the moderator learns it was rejected.
    l.answer(accept);
    REQUIRE(l.m.wait_messages("mona", 2));
    bool told = false;
    for (const auto& msg : l.m.messages("mona"))
        told = told || msg.find("already rejected this message") != std::string::npos;
    CHECK(told);
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("alice").empty());
    CHECK(l.m.messages("bob").empty());
    CHECK(qmtest::slurp(l.m.dir + "/num") == "0:0\n");
}

TEST_CASE("ezmlm-clean returns a post no moderator answered in time",
          "[scenario][lists][moderation]") {
    ModeratedList l;
    l.post_and_wait_for_request("forgotten");
    const std::string name = only_file(l.m.dir + "/mod/pending");
    const long long stored = std::stoll(name.substr(0, name.find('.')));
    // Five days is within the default 120 hours: still held.
    auto early = l.m.root.run({qmtest::bin("ezmlm-clean"), l.m.dir},
                              {.env = {{"QM_LISTS_NOW", std::to_string(stored + 5 * 86400)}}});
    INFO(early.err);
    REQUIRE(early.exit_code == 0);
    CHECK(qmtest::list_dir(l.m.dir + "/mod/pending").size() == 1);
    // The subject is the owner's, from text/messages (ezmlm-idx 7's SUB_RETURNED_POST).
    qmtest::spit(l.m.dir + "/text/messages", "SUB_RETURNED_POST:Nobody moderated <#L#> in time\n");
    auto late = l.m.root.run({qmtest::bin("ezmlm-clean"), l.m.dir},
                             {.env = {{"QM_LISTS_NOW", std::to_string(stored + 6 * 86400)}}});
    INFO(late.err);
    REQUIRE(late.exit_code == 0);
    CHECK(qmtest::list_dir(l.m.dir + "/mod/pending").empty());
    REQUIRE(l.m.wait_messages("dave", 1));
    const auto returned = l.m.messages("dave")[0];
    INFO(returned);
    CHECK(has_line(returned, "Subject: Nobody moderated joe-team in time"));
    CHECK(returned.find("no moderator of the joe-team list approved your post") !=
          std::string::npos);
    CHECK(returned.find("\n\nplease distribute forgotten\n") != std::string::npos);
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("alice").empty());
}

TEST_CASE("with -u and -m subscribers post directly and strangers are held",
          "[scenario][lists][moderation]") {
    ModeratedList l({"-m", "-u"});
    l.m.inject("From: alice@test.example\nTo: joe-team@test.example\nSubject: member\n\nhi\n",
               "alice");
    REQUIRE(l.m.wait_messages("bob", 1));
    CHECK(l.m.messages("bob")[0].starts_with("Return-Path: <joe-team-return-1-bob="));
    CHECK(qmtest::list_dir(l.m.dir + "/mod/pending").empty());

    auto request = l.post_and_wait_for_request("stranger");
    CHECK(has_line(request, "Subject: MODERATE for joe-team@test.example"));
    CHECK(qmtest::list_dir(l.m.dir + "/mod/pending").size() == 1);
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("bob").size() == 1);
    CHECK(l.m.messages("dave").empty()); // held, not bounced
}

TEST_CASE("ezmlm-reject bounces unsuitable posts to the poster and distributes nothing",
          "[scenario][lists][reject]") {
    ListMta m;
    m.make();
    m.tool("ezmlm-sub", {m.dir, "alice@test.example"});
    qmtest::spit(m.dir + "/msgsize", "200:2\n");
    qmtest::spit(m.dir + "/mimereject", "application/x-msdownload\n");
    m.root.give_to_user(m.dir);
    m.start();
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: big\n\n" +
             std::string(300, 'x') + "\n");
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: program\n"
             "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nsee\n"
             "--b\nContent-Type: application/x-msdownload\n\nMZ\n--b--\n");
    m.inject("From: dave@test.example\nTo: carol@test.example\nBcc: joe-team@test.example\n"
             "Subject: blind\n\nbcc\n");
    REQUIRE(m.wait_messages("dave", 3));
    std::string all;
    for (const auto& b : m.messages("dave"))
        all += b;
    INFO(all);
    CHECK(all.find("Sorry, I don't accept messages larger than 200 bytes") != std::string::npos);
    CHECK(all.find("application/x-msdownload, which this list does not accept") !=
          std::string::npos);
    CHECK(all.find("joe-team@test.example must be in To: or Cc:") != std::string::npos);
    REQUIRE(m.wait_idle());
    CHECK(m.messages("alice").empty());
    CHECK(qmtest::slurp(m.dir + "/num") == "0:0\n");
    // A suitable post still goes through the same editor.
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: fine\n\nok\n");
    REQUIRE(m.wait_messages("alice", 1));
}

// Sender confirmation of posts (ezmlm-make -y) end to end through the real qmail-send
// into real maildirs: ezmlm-store keeps the post and mails its sender, whose answer to
// list-confirm-... (or list-discard-...) reaches ezmlm-confirm through the links
// ezmlm-make -y made; forged and borrowed cookies change nothing; with -m as well, the
// confirmed post goes to the moderator instead of the list.
#include "list_mta.hpp"

#include <catch2/catch.hpp>

using liststest::has_line;
using liststest::header_value;
using liststest::ListMta;

namespace {

struct ConfirmedList {
    ListMta m{{"alice", "bob", "carol", "mona"}};

    explicit ConfirmedList(const std::vector<std::string>& switches = {"-y"}) {
        m.make(switches);
        m.tool("ezmlm-sub", {m.dir, "alice@test.example", "bob@test.example"});
        m.tool("ezmlm-sub", {m.dir + "/mod", "mona@test.example"});
        m.start();
    }
    // alice posts; returns the confirmation request she gets for it.
    std::string post_and_wait_for_request(const std::string& subject) {
        m.inject("From: Alice <alice@test.example>\nTo: joe-team@test.example\nSubject: " +
                     subject + "\n\nplease distribute " + subject + "\n",
                 "alice");
        const std::string request = m.wait_message_with("alice", "please distribute " + subject);
        REQUIRE(!request.empty());
        return request;
    }
    void answer(const std::string& address) {
        m.inject("From: alice@test.example\nTo: " + address + "\nSubject: Re: CONFIRM\n\nyes\n",
                 "alice");
    }
    [[nodiscard]] size_t waiting() const {
        return qmtest::list_dir(m.dir + "/mod/unconfirmed").size();
    }
};

// The address with its 20-letter cookie (after the last dot before '@') replaced.
std::string with_cookie(const std::string& address, const std::string& cookie) {
    std::string out = address;
    const auto dot = out.rfind('.', out.find('@'));
    out.replace(dot + 1, 20, cookie);
    return out;
}

std::string cookie_of(const std::string& address) {
    const auto dot = address.rfind('.', address.find('@'));
    return address.substr(dot + 1, 20);
}

} // namespace

TEST_CASE("a -y post goes out only once its sender confirms it, and a discarded one never",
          "[scenario][lists][confirm]") {
    ConfirmedList l;
    const std::string request = l.post_and_wait_for_request("first");
    INFO(request);
    CHECK(has_line(request, "Subject: CONFIRM post to joe-team@test.example"));
    CHECK(has_line(request, "To: alice@test.example"));
    const auto confirm = header_value(request, "Reply-To");
    REQUIRE(confirm);
    const auto names = qmtest::list_dir(l.m.dir + "/mod/unconfirmed");
    REQUIRE(names.size() == 1);
    CHECK(confirm->starts_with("joe-team-confirm-" + names[0] + "."));
    CHECK(confirm->ends_with("@test.example"));
    const std::string discard = "joe-team-discard-" + confirm->substr(17);
    CHECK(request.find(discard) != std::string::npos);
    CHECK(request.find("Content-Type: message/rfc822\n\nReturn-Path: <alice@test.example>\n") !=
          std::string::npos);
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("bob").empty());
    CHECK(l.m.messages("alice").size() == 1); // the request only
    CHECK(l.m.messages("mona").empty());
    CHECK(qmtest::slurp(l.m.dir + "/num") == "0:0\n");

    l.answer(*confirm);
    for (const char* user : {"alice", "bob"}) {
        INFO(user);
        const std::string msg = l.m.wait_message_with(user, "Return-Path: <joe-team-return-1-");
        INFO(msg);
        REQUIRE(!msg.empty());
        CHECK(msg.starts_with("Return-Path: <joe-team-return-1-" + std::string(user) +
                              "=test.example@test.example>\n"));
        CHECK(has_line(msg, "Subject: first"));
        CHECK(has_line(msg, "From: Alice <alice@test.example>"));
        CHECK(msg.ends_with("\n\nplease distribute first\n"));
    }
    CHECK(qmtest::slurp(l.m.dir + "/num").starts_with("1"));
    CHECK(qmtest::slurp(l.m.dir + "/archive/0/01").find("\n\nplease distribute first\n") !=
          std::string::npos);
    CHECK(l.waiting() == 0);
    CHECK(l.m.messages("mona").empty());

    // The second post: a forged cookie, then the first post's cookie on it, do nothing
    // but bounce to alice with the reason.
    const std::string second = l.post_and_wait_for_request("second");
    const auto confirm2 = header_value(second, "Reply-To");
    REQUIRE(confirm2);
    REQUIRE(l.waiting() == 1);
    const std::string forged =
        with_cookie(*confirm2, cookie_of(*confirm2)[0] == 'a' ? "bbbbbbbbbbbbbbbbbbbb"
                                                              : "aaaaaaaaaaaaaaaaaaaa");
    l.answer(forged);
    l.answer(with_cookie(*confirm2, cookie_of(*confirm)));
    REQUIRE(qmtest::wait_for([&] {
        size_t told = 0;
        for (const auto& msg : l.m.messages("alice"))
            if (msg.find("illegal confirmation request") != std::string::npos)
                ++told;
        return told == 2;
    }));
    REQUIRE(l.m.wait_idle());
    CHECK(l.waiting() == 1);
    CHECK(l.m.messages("bob").size() == 1);
    CHECK(qmtest::slurp(l.m.dir + "/num").starts_with("1"));

    // Discarded: it goes, nobody gets it, and confirming it afterwards is refused.
    l.answer("joe-team-discard-" + confirm2->substr(17));
    REQUIRE(
        qmtest::wait_for([&] { return l.m.send->log().find("discarded") != std::string::npos; }));
    REQUIRE(l.m.wait_idle());
    CHECK(l.waiting() == 0);
    l.answer(*confirm2);
    REQUIRE(!l.m.wait_message_with("alice", "no longer have the post").empty());
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("bob").size() == 1);
    CHECK(qmtest::slurp(l.m.dir + "/num").starts_with("1"));
    for (const auto& msg : l.m.messages("bob"))
        CHECK(msg.find("please distribute second") == std::string::npos);
}

TEST_CASE("with -y and -m a confirmed post goes to the moderator, not the list",
          "[scenario][lists][confirm]") {
    ConfirmedList l({"-y", "-m"});
    const std::string request = l.post_and_wait_for_request("moderated");
    CHECK(has_line(request, "Subject: CONFIRM post to joe-team@test.example"));
    const auto confirm = header_value(request, "Reply-To");
    REQUIRE(confirm);
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("mona").empty()); // not before alice confirms
    CHECK(qmtest::list_dir(l.m.dir + "/mod/pending").empty());

    l.answer(*confirm);
    const std::string moderate = l.m.wait_message_with("mona", "please distribute moderated");
    INFO(moderate);
    REQUIRE(!moderate.empty());
    CHECK(has_line(moderate, "Subject: MODERATE for joe-team@test.example"));
    const auto pending = qmtest::list_dir(l.m.dir + "/mod/pending");
    REQUIRE(pending.size() == 1);
    CHECK(header_value(moderate, "Reply-To")->starts_with("joe-team-accept-" + pending[0] + "."));
    CHECK(l.waiting() == 0);
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("bob").empty());
    CHECK(qmtest::slurp(l.m.dir + "/num") == "0:0\n");

    // The moderator accepts: now the list gets it.
    l.m.inject("From: mona@test.example\nTo: " + *header_value(moderate, "Reply-To") +
                   "\nSubject: Re: MODERATE\n\nok\n",
               "mona");
    const std::string msg = l.m.wait_message_with("bob", "please distribute moderated");
    REQUIRE(!msg.empty());
    CHECK(msg.starts_with("Return-Path: <joe-team-return-1-bob=test.example@test.example>\n"));
}

TEST_CASE("ezmlm-clean drops a post nobody confirmed in time", "[scenario][lists][confirm]") {
    ConfirmedList l;
    l.post_and_wait_for_request("forgotten");
    const auto names = qmtest::list_dir(l.m.dir + "/mod/unconfirmed");
    REQUIRE(names.size() == 1);
    const long long stored = std::stoll(names[0].substr(0, names[0].find('.')));
    auto early = l.m.run({"ezmlm-clean", l.m.dir}, stored + 119 * 3600);
    INFO(early.err);
    REQUIRE(early.exit_code == 0);
    CHECK(l.waiting() == 1);
    auto late = l.m.run({"ezmlm-clean", l.m.dir}, stored + 121 * 3600);
    INFO(late.err);
    REQUIRE(late.exit_code == 0);
    CHECK(l.waiting() == 0);
    REQUIRE(l.m.wait_idle());
    CHECK(l.m.messages("alice").size() == 1); // the request; no notice of the timeout
    CHECK(l.m.messages("bob").empty());
}

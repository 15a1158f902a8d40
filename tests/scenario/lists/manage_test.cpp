// Subscription by mail end to end: requests injected with qmail-inject reach the list's
// manager file through the real qmail-send and qmail-local, ezmlm-manage mails the
// confirmation into the user's maildir, the test answers the Reply-To address found
// there, and the subscriber store (ezmlm-list), dir/Log and the replies show the result.
#include "list_mta.hpp"
#include "qm/lists/core/cookie.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using liststest::has_line;
using liststest::header_value;
using liststest::ListMta;

namespace {

const std::string list_address = "joe-team@test.example";

std::string confirmation_of(const std::string& msg) {
    auto r = header_value(msg, "Reply-To");
    REQUIRE(r);
    return *r;
}

// Asks for a confirmation and returns the Reply-To address it came with.
std::string request_confirmation(ListMta& m, const std::string& user, const std::string& to,
                                 const std::string& subject) {
    m.mail_from(user, to);
    auto req = m.wait_message_with(user, "Subject: " + subject);
    INFO(user << " waiting for " << subject);
    if (req.empty())
        for (const auto& msg : m.messages(user))
            UNSCOPED_INFO(msg);
    REQUIRE(!req.empty());
    return confirmation_of(req);
}

size_t count(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("three users subscribe by mail, get a post, and one unsubscribes",
          "[scenario][lists][manage]") {
    ListMta m;
    m.make();
    m.start();
    const std::vector<std::string> users = {"alice", "bob", "carol"};
    std::map<std::string, std::string> confirm;
    for (const auto& u : users)
        m.mail_from(u, "joe-team-subscribe@test.example");
    for (const auto& u : users) {
        INFO(u);
        auto req = m.wait_message_with(u, "Subject: confirm subscribe to " + list_address);
        REQUIRE(!req.empty());
        CHECK(req.starts_with("Return-Path: <joe-team-return-@test.example>\n"));
        CHECK(has_line(req, "From: joe-team-help@test.example"));
        confirm[u] = confirmation_of(req);
        CHECK(confirm[u].starts_with("joe-team-sc."));
        CHECK(confirm[u].ends_with("-" + u + "=test.example@test.example"));
        // The body names the address to reply to as well.
        CHECK(req.find("   " + confirm[u] + "\n") != std::string::npos);
    }
    CHECK(m.subscribers().empty());

    for (const auto& u : users)
        m.mail_from(u, confirm[u], "Re: confirm");
    for (const auto& u : users) {
        INFO(u);
        auto ok = m.wait_message_with(u, "Subject: welcome to " + list_address);
        REQUIRE(!ok.empty());
        CHECK(has_line(ok, "List-Unsubscribe: <mailto:joe-team-unsubscribe-" + u +
                               "=test.example@test.example>"));
        CHECK(ok.find("   " + u + "@test.example\n") != std::string::npos);
    }
    CHECK(m.subscribers() ==
          std::vector<std::string>{"alice@test.example", "bob@test.example", "carol@test.example"});
    auto log = qmtest::slurp(m.dir + "/Log");
    for (const auto& u : users)
        CHECK(count(log, " + " + u + "@test.example\n") == 1);

    m.inject("From: dave@test.example\nTo: " + list_address + "\nSubject: first post\n\nhello\n");
    for (const auto& u : users)
        CHECK(!m.wait_message_with(u, "Subject: first post").empty());

    auto bye = request_confirmation(m, "bob", "joe-team-unsubscribe@test.example",
                                    "confirm unsubscribe from " + list_address);
    CHECK(bye.starts_with("joe-team-uc."));
    CHECK(m.subscribers().size() == 3);
    m.mail_from("bob", bye, "Re: confirm");
    CHECK(!m.wait_message_with("bob", "Subject: goodbye from " + list_address).empty());
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example", "carol@test.example"});
    CHECK(count(qmtest::slurp(m.dir + "/Log"), " - bob@test.example\n") == 1);
}

TEST_CASE("a stranger can neither subscribe nor unsubscribe someone else",
          "[scenario][lists][manage]") {
    ListMta m;
    m.make({"-h", "-j"}); // even without confirmations for oneself
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "alice@test.example"}).exit_code == 0);
    m.start();
    // dave for himself: at once (nosubconfirm, nounsubconfirm).
    m.mail_from("dave", "joe-team-subscribe@test.example");
    CHECK(!m.wait_message_with("dave", "Subject: welcome to " + list_address).empty());
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example", "dave@test.example"});
    // dave for others: the confirmation goes to them, nothing changes.
    m.mail_from("dave", "joe-team-unsubscribe-alice=test.example@test.example");
    auto ask = m.wait_message_with("alice", "Subject: confirm unsubscribe from " + list_address);
    REQUIRE(!ask.empty());
    CHECK(confirmation_of(ask).ends_with("-alice=test.example@test.example"));
    m.mail_from("dave", "joe-team-subscribe-bob=test.example@test.example");
    CHECK(!m.wait_message_with("bob", "Subject: confirm subscribe to " + list_address).empty());
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example", "dave@test.example"});
    CHECK(m.messages("dave").size() == 1); // only his own welcome
    m.mail_from("dave", "joe-team-unsubscribe@test.example");
    CHECK(!m.wait_message_with("dave", "Subject: goodbye from " + list_address).empty());
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example"});
    // query answers the target, not the sender; help and anything unknown get help.
    m.mail_from("dave", "joe-team-query-alice=test.example@test.example");
    auto status = m.wait_message_with("alice", "Subject: subscription status at " + list_address);
    CHECK(status.find("remains a subscriber") != std::string::npos);
    m.mail_from("dave", "joe-team-frobnicate@test.example");
    auto help = m.wait_message_with("dave", "Subject: help for " + list_address);
    CHECK(has_line(help, "From: joe-team-return-@test.example"));
    CHECK(help.find("This is a generic help message.") != std::string::npos);
    CHECK(m.messages("dave").size() == 3);
}

TEST_CASE("with modsub a moderator approves a confirmed subscription",
          "[scenario][lists][manage]") {
    ListMta m;
    m.make({"-s"});
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "mod", "carol@test.example"}).exit_code ==
            0);
    m.start();
    auto sc = request_confirmation(m, "alice", "joe-team-subscribe@test.example",
                                   "confirm subscribe to " + list_address);
    m.mail_from("alice", sc, "Re: confirm");
    auto ask = m.wait_message_with("carol", "Subject: moderate subscription of alice@test.example");
    REQUIRE(!ask.empty());
    CHECK(ask.find("A request has been made to add\n\n   alice@test.example\n") !=
          std::string::npos);
    CHECK(ask.find("was posted to the") == std::string::npos);
    auto tc = confirmation_of(ask);
    CHECK(tc.starts_with("joe-team-tc."));
    CHECK(tc.ends_with("-alice=test.example@test.example"));
    CHECK(m.subscribers().empty());
    // A stranger who guesses at the moderator's address gets a refusal, nothing else.
    m.mail_from("dave",
                "joe-team-tc.1700000000.aaaaaaaaaaaaaaaaaaaa-dave=test.example@test.example");
    CHECK(!m.wait_message_with("dave", "moderator confirmation code is not valid").empty());
    m.mail_from("carol", tc, "Re: moderate");
    auto ok = m.wait_message_with("alice", "Subject: welcome to " + list_address);
    REQUIRE(!ok.empty());
    CHECK(ok.find("at the request of a moderator") != std::string::npos);
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example"});
    CHECK(qmtest::slurp(m.dir + "/Log").find(" + alice@test.example by carol@test.example\n") !=
          std::string::npos);
}

TEST_CASE("a remote admin subscribes someone else and lists the subscribers",
          "[scenario][lists][manage]") {
    ListMta m;
    m.make({"-r", "-l"});
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "mod", "carol@test.example"}).exit_code ==
            0);
    m.start();
    // The remote admin's confirmation is ezmlm-idx 7's moderator text and subject.
    auto rc = request_confirmation(m, "carol", "joe-team-subscribe-dave=test.example@test.example",
                                   "moderate subscription of dave@test.example to " + list_address);
    CHECK(rc.starts_with("joe-team-rc."));
    CHECK(rc.ends_with("-dave=test.example@test.example"));
    CHECK(m.messages("dave").empty());
    m.mail_from("carol", rc, "Re: confirm");
    auto ok = m.wait_message_with("dave", "Subject: welcome to " + list_address);
    REQUIRE(!ok.empty());
    CHECK(ok.find("at the request of a moderator") != std::string::npos);
    CHECK(m.subscribers() == std::vector<std::string>{"dave@test.example"});

    m.mail_from("carol", "joe-team-list@test.example");
    auto list = m.wait_message_with("carol", "Subject: subscribers of " + list_address);
    REQUIRE(!list.empty());
    CHECK(list.find("\ndave@test.example\n") != std::string::npos);
    CHECK(list.find("======> 1\n") != std::string::npos);
    m.mail_from("carol", "joe-team-log@test.example");
    auto log = m.wait_message_with("carol", "Subject: subscription log of " + list_address);
    CHECK(log.find(" + dave@test.example by carol@test.example\n") != std::string::npos);
    // A subscriber who is no moderator is refused.
    m.mail_from("dave", "joe-team-list@test.example");
    CHECK(!m.wait_message_with("dave", "only the list's moderators may see").empty());
    CHECK(m.messages("dave").size() == 2);
}

TEST_CASE("forged, expired and foreign cookies subscribe nobody", "[scenario][lists][manage]") {
    ListMta m;
    m.make();
    m.start();
    auto sc = request_confirmation(m, "alice", "joe-team-subscribe@test.example",
                                   "confirm subscribe to " + list_address);
    const std::string prefix = "joe-team-sc.";
    const auto dot = sc.find('.', prefix.size());
    const std::string when = sc.substr(prefix.size(), dot - prefix.size());
    const std::string cookie = sc.substr(dot + 1, 20);
    REQUIRE(sc == prefix + when + "." + cookie + "-alice=test.example@test.example");

    // Forged: a fresh request with sub-bad goes to the target.
    m.mail_from("alice", prefix + when + ".aaaaaaaaaaaaaaaaaaaa-alice=test.example@test.example");
    CHECK(!m.wait_message_with("alice", "not valid or has expired").empty());
    // alice's cookie with bob's address: bob (not alice) hears, with a request of his own.
    m.mail_from("alice", prefix + when + "." + cookie + "-bob=test.example@test.example");
    auto bad = m.wait_message_with("bob", "not valid or has expired");
    REQUIRE(!bad.empty());
    CHECK(confirmation_of(bad).ends_with("-bob=test.example@test.example"));
    CHECK(m.messages("alice").size() == 2);
    CHECK(m.subscribers().empty());

    // Expired: the same, good cookie answered 1,000,001 seconds later.
    m.stop();
    m.start({{"QM_LISTS_NOW", std::to_string(std::stoll(when) + 1'000'001)}});
    m.mail_from("alice", sc, "Re: confirm");
    REQUIRE(qmtest::wait_for([&] { return m.messages("alice").size() == 3; }));
    CHECK(m.subscribers().empty());
    // The fresh request in that reply works.
    std::string fresh;
    for (const auto& msg : m.messages("alice"))
        if (msg.find(std::to_string(std::stoll(when) + 1'000'001)) != std::string::npos)
            fresh = confirmation_of(msg);
    REQUIRE(!fresh.empty());
    m.mail_from("alice", fresh, "Re: confirm");
    CHECK(!m.wait_message_with("alice", "Subject: welcome to " + list_address).empty());
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example"});
}

TEST_CASE("ezmlm-manage refuses tricky targets and bounces, and honours QM_LISTS_NOW",
          "[scenario][lists][manage]") {
    ListMta m;
    m.make();
    auto manage = [&](const std::string& def, const std::string& sender = "dave@test.example",
                      const std::string& message = "Subject: x\n\nx\n",
                      std::map<std::string, std::string> env = {}) {
        env["SENDER"] = sender;
        env["DEFAULT"] = def;
        env["LOCAL"] = "joe-team-" + def;
        return m.root.run({qmtest::bin("ezmlm-manage"), m.dir},
                          {.stdin_data = message, .env = env});
    };
    for (const char* trick :
         {"subscribe-evil@x=example.org", "subscribe-\"a b\"=example.org",
          "subscribe-joe=test.example\nBcc: evil@x.example",
          "subscribe-joe=test.example,x=y.example", "subscribe-joe",
          "sc.1700000000.kpjgaoohbkefgcnmdjlb-evil@x=example.org", "unsubscribe-a=[127.0.0.1]"}) {
        INFO(trick);
        auto r = manage(trick);
        CHECK(r.exit_code == 100);
        CHECK(r.err.find("not of the form box=domain") != std::string::npos);
    }
    CHECK(manage("subscribe", "").exit_code == 100);
    CHECK(manage("subscribe", "#@[]").exit_code == 100);
    CHECK(manage("subscribe", "dave").exit_code == 100);
    auto looped = manage("subscribe", "dave@test.example",
                         "Mailing-List: contact x-help@y.example\nSubject: x\n\nx\n");
    CHECK(looped.exit_code == 100);
    CHECK(looped.err.find("Mailing-List") != std::string::npos);
    auto automatic =
        manage("subscribe", "dave@test.example", "Auto-Submitted: auto-replied\n\nvacation\n");
    CHECK(automatic.exit_code == 0);
    CHECK(automatic.err.find("ignored an automatic message") != std::string::npos);
    CHECK(m.subscribers().empty());
    CHECK(qmtest::queued_messages(m.root.home()).empty());

    // A cookie made at T is refused 1,000,001 s later and accepted 100 s later.
    auto key = qm::lists::read_list_key(m.dir);
    REQUIRE(key);
    const std::time_t t = 1'700'000'000;
    const std::string sc =
        "sc.1700000000." +
        qm::lists::make_cookie(*key, qm::lists::CookieScope::main, t, "alice@test.example",
                               qm::lists::CookieAction::subscribe_confirm) +
        "-alice=test.example";
    auto late = manage(sc, "alice@test.example", "Subject: x\n\nx\n",
                       {{"QM_LISTS_NOW", std::to_string(t + 1'000'001)}});
    INFO(late.err);
    CHECK(late.exit_code == 0);
    CHECK(m.subscribers().empty());
    auto queued = qmtest::queued_messages(m.root.home());
    REQUIRE(queued.size() == 1);
    CHECK(queued[0].recipients == std::vector<std::string>{"alice@test.example"});
    CHECK(queued[0].message.find("not valid or has expired") != std::string::npos);
    // Said digest-: the main list's cookie does not work for the digest list.
    CHECK(manage("digest-" + sc, "alice@test.example", "Subject: x\n\nx\n",
                 {{"QM_LISTS_NOW", std::to_string(t + 100)}})
              .exit_code == 0);
    CHECK(m.subscribers("digest").empty());
    auto in_time = manage(sc, "alice@test.example", "Subject: x\n\nx\n",
                          {{"QM_LISTS_NOW", std::to_string(t + 100)}});
    CHECK(in_time.exit_code == 0);
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example"});
    CHECK(qmtest::slurp(m.dir + "/Log") == "1700000100 + alice@test.example\n");
}

// ezmlm-manage -Q copies the answer to a failed unsubscription to the list's owner; -QQ
// also every answer that changed the list (ezmlm-idx 7's switch).
TEST_CASE("ezmlm-manage -Q and -QQ copy answers to the list owner", "[scenario][lists][manage]") {
    ListMta m;
    m.make({"-h", "-j"}); // no handshakes: the answers come at once
    const std::string manager = m.dir + "/manager";
    auto with_switch = [&](const std::string& sw) {
        std::string text = qmtest::slurp(manager);
        const auto at = text.find("ezmlm-manage' ");
        REQUIRE(at != std::string::npos);
        const auto end = text.find('\n', at);
        text.replace(at, end - at, "ezmlm-manage' " + sw + " '" + m.dir + "'");
        qmtest::spit(manager, text);
        m.root.give_to_user(manager);
    };
    const std::string mailbox = m.dir + "/Mailbox";
    auto owner_mail = [&] {
        return std::filesystem::exists(mailbox) ? qmtest::slurp(mailbox) : std::string();
    };
    with_switch("-Q");
    m.start();
    // A subscription is not copied with -Q; an unsubscription that finds nobody is.
    m.mail_from("alice", "joe-team-subscribe@test.example");
    REQUIRE(!m.wait_message_with("alice", "Subject: welcome to " + list_address).empty());
    m.mail_from("dave", "joe-team-unsubscribe@test.example");
    REQUIRE(!m.wait_message_with("dave", "To: dave@test.example").empty());
    REQUIRE(qmtest::wait_for(
        [&] { return owner_mail().find("dave@test.example") != std::string::npos; }));
    CHECK(owner_mail().find("alice@test.example") == std::string::npos);
    // -QQ: the subscription of bob is copied too.
    with_switch("-QQ");
    m.mail_from("bob", "joe-team-subscribe@test.example");
    REQUIRE(!m.wait_message_with("bob", "Subject: welcome to " + list_address).empty());
    CHECK(qmtest::wait_for(
        [&] { return owner_mail().find("To: bob@test.example") != std::string::npos; }));
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example", "bob@test.example"});
}

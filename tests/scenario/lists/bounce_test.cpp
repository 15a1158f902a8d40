// The bounce cycle end to end through the real qmail-send, with the list clock
// (QM_LISTS_NOW) moved on by hand: a reader whose address fails for good is warned,
// probed and removed; transient failures and policy rejections never remove anyone; a
// reader who bounced once and then reads again is warned and kept.
#include "bounce_samples.hpp"
#include "list_mta.hpp"
#include "qm/lists/bounce/bounce_store.hpp"
#include "qm/lists/core/cookie.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;
namespace b = qmtest::bounces;
using liststest::ListMta;
using qmtest::bounces::kept_bounces;

namespace {

constexpr std::time_t t0 = 1'700'000'000;
constexpr std::time_t eleven_days = 11 * 24 * 3600;

bool subscribed(const ListMta& m, const std::string& address) {
    return m.run({"ezmlm-list", m.dir}).out.find(address + "\n") != std::string::npos;
}

std::string uncounted(const ListMta& m) {
    return fs::exists(m.dir + "/bounce/uncounted") ? qmtest::slurp(m.dir + "/bounce/uncounted")
                                                   : std::string{};
}

std::string post(const std::string& subject) {
    return "From: Dave <dave@test.example>\nTo: joe-team@test.example\nSubject: " + subject +
           "\n\nhello list\n";
}

// How qmail-send's log shows a delivery report: blanks become '_' (qmail's logsafe).
std::string logged(std::string text) {
    for (auto& c : text)
        if (c == ' ')
            c = '_';
    return text;
}

// The list with these subscribers (local users, or not), qmail-send running at t0 and
// post number 1 delivered to the users among them.
void first_post(ListMta& m, const std::vector<std::string>& subscribers,
                const std::vector<std::string>& users) {
    m.make();
    std::vector<std::string> sub{"ezmlm-sub", m.dir};
    sub.insert(sub.end(), subscribers.begin(), subscribers.end());
    REQUIRE(m.run(sub).exit_code == 0);
    m.start_at(t0);
    m.inject(post("first"));
    for (const auto& u : users)
        REQUIRE(m.wait_messages(u, 1));
}

} // namespace

TEST_CASE("a reader whose address fails for good is warned, probed and removed",
          "[scenario][lists][bounce]") {
    ListMta m;
    first_post(m, {"alice@test.example", "ghost@test.example"}, {"alice"});
    // qmail-send bounces ghost's copy (no such mailbox) to joe-team-return-1-@test.example
    // in QSBMF; ezmlm-return reads the address from the report.
    const std::string history = qm::lists::bounce_history_path(m.dir, "ghost@test.example");
    REQUIRE(qmtest::wait_for([&] { return fs::exists(history); }));
    CHECK(qmtest::slurp(history) == "   1\n");
    auto first = kept_bounces(m.dir, 'd');
    REQUIRE(first.size() == 1);
    CHECK(fs::path(first[0]).parent_path().filename() == std::to_string(t0 / 10000));
    auto kept = qmtest::slurp(first[0]);
    CHECK(kept.starts_with(std::string("ghost@test.example") + '\0' + "Return-Path: <>\n"));
    CHECK(kept.find("Hi. This is the qmail-send program") != std::string::npos);
    CHECK(kept.find("<ghost@test.example>:\n") != std::string::npos);
    CHECK(kept.find("(#5.1.1)") != std::string::npos);
    REQUIRE(m.wait_idle());

    // Eleven days on, the next post's ezmlm-warn (in the editor) sends the warning, from
    // a return address with a cookie; it bounces too and leaves a w file. Its subject is
    // the owner's, from text/messages (ezmlm-idx 7's SUB_WARNING).
    qmtest::spit(m.dir + "/text/messages", "SUB_WARNING:<#L#> at <#H#>: mail to you bounces\n");
    const std::time_t t1 = t0 + eleven_days;
    m.start_at(t1);
    m.inject(post("second"));
    REQUIRE(m.wait_messages("alice", 2));
    REQUIRE(qmtest::wait_for([&] { return !kept_bounces(m.dir, 'w').empty(); }));
    auto warned = kept_bounces(m.dir, 'w');
    REQUIRE(warned.size() == 1);
    auto w = qmtest::slurp(warned[0]);
    INFO(w);
    CHECK(w.starts_with(std::string("ghost@test.example") + '\0'));
    CHECK(w.find("Return-Path: <joe-team-return-warn-" + std::to_string(t1) + ".") !=
          std::string::npos);
    CHECK(w.find("Subject: joe-team at test.example: mail to you bounces\n") != std::string::npos);
    CHECK(w.find("Here are the numbers of the messages that bounced:\n\n   1\n") !=
          std::string::npos);
    CHECK(subscribed(m, "ghost@test.example"));
    REQUIRE(m.wait_idle());

    // Another eleven days: the probe goes out, bounces, and ghost is removed.
    const std::time_t t2 = t1 + eleven_days;
    m.start_at(t2);
    auto warn = m.run({"ezmlm-warn", m.dir}, t2);
    INFO(warn.err);
    REQUIRE(warn.exit_code == 0);
    CHECK(warn.err.find("probes sent") != std::string::npos);
    // ezmlm-return removes the address, then logs it.
    const std::string logged_removal = std::to_string(t2) + " -probe ghost@test.example\n";
    REQUIRE(qmtest::wait_for([&] {
        return fs::exists(m.dir + "/Log") &&
               qmtest::slurp(m.dir + "/Log").find(logged_removal) != std::string::npos;
    }));
    CHECK_FALSE(subscribed(m, "ghost@test.example"));
    CHECK(subscribed(m, "alice@test.example"));
    REQUIRE(m.wait_idle());
    CHECK(m.send->log().find(logged("unsubscribed ghost@test.example: the probe bounced")) !=
          std::string::npos);
    // alice got the posts and nothing else.
    CHECK(m.messages("alice").size() == 2);
}

TEST_CASE("transient failures and policy rejections never remove a reader",
          "[scenario][lists][bounce]") {
    ListMta m;
    first_post(m, {"alice@test.example", "bob@test.example"}, {"alice", "bob"});
    // Far MTAs report: alice's mailbox is full (a delay notice, then Exim giving up with
    // 4.2.2); Gmail refused the post to bob for its author's DMARC policy (5.7.26).
    const std::string alice_return = "joe-team-return-1-alice=test.example@test.example";
    const std::string bob_return = "joe-team-return-1-bob=test.example@test.example";
    m.queue(b::postfix_mailbox_full_delayed("alice@test.example", alice_return), alice_return);
    m.queue(b::exim_mailbox_full("alice@test.example", alice_return), alice_return);
    m.queue(b::gmail_dmarc_reject("bob@test.example", bob_return), bob_return);
    REQUIRE(qmtest::wait_for([&] {
        auto u = uncounted(m);
        return u.find("alice") != std::string::npos && u.find("bob") != std::string::npos;
    }));
    const std::string u = uncounted(m);
    INFO(u);
    CHECK(u.find(std::to_string(t0) + " transient 1 alice@test.example 4.2.2 452 4.2.2 Mailbox "
                                      "full\n") != std::string::npos);
    CHECK(u.find(std::to_string(t0) + " policy 1 bob@test.example 5.7.26 550-5.7.26 "
                                      "Unauthenticated email") != std::string::npos);
    REQUIRE(m.wait_idle());
    // ezmlm-weed dropped the delay notice before ezmlm-return saw it.
    CHECK(m.send->log().find(logged("ezmlm-weed: info: dropped: delivery status notice without "
                                    "a failure")) != std::string::npos);
    CHECK(kept_bounces(m.dir, 'd').empty());
    CHECK_FALSE(fs::exists(qm::lists::bounce_history_path(m.dir, "alice@test.example")));
    CHECK_FALSE(fs::exists(qm::lists::bounce_history_path(m.dir, "bob@test.example")));

    // Even a bounced probe does not remove anyone when it was refused for policy.
    auto key = qm::lists::read_list_key(m.dir);
    REQUIRE(key);
    const std::string cookie =
        qm::lists::make_cookie(*key, qm::lists::CookieScope::main, t0, "bob@test.example",
                               qm::lists::CookieAction::bounce_probe);
    const std::string probe_return = "joe-team-return-probe-" + std::to_string(t0) + "." + cookie +
                                     "-bob=test.example@test.example";
    m.queue(b::gmail_dmarc_reject("bob@test.example", probe_return), probe_return);
    REQUIRE(qmtest::wait_for(
        [&] { return uncounted(m).find(" policy probe bob@test.example") != std::string::npos; }));

    // The whole cycle passes: nobody is warned, probed or removed.
    for (std::time_t t : {t0 + eleven_days, t0 + 2 * eleven_days, t0 + 3 * eleven_days}) {
        m.start_at(t);
        m.inject(post("at " + std::to_string(t)));
        auto warn = m.run({"ezmlm-warn", "-l", "0", m.dir}, t);
        INFO(warn.err);
        CHECK(warn.exit_code == 0);
        CHECK(kept_bounces(m.dir, 'd').empty());
        CHECK(kept_bounces(m.dir, 'w').empty());
        REQUIRE(m.wait_idle());
    }
    REQUIRE(m.wait_messages("alice", 4));
    REQUIRE(m.wait_messages("bob", 4));
    CHECK(subscribed(m, "alice@test.example"));
    CHECK(subscribed(m, "bob@test.example"));
    // The Log has the two subscriptions (ezmlm-sub logs "+manual", as ezmlm-idx 7 does) and
    // no removal.
    const std::string log = fs::exists(m.dir + "/Log") ? qmtest::slurp(m.dir + "/Log") : "";
    INFO(log);
    CHECK(log.find(" -") == std::string::npos);
    for (const auto& msg : m.messages("alice"))
        CHECK(msg.find("Subject: ezmlm") == std::string::npos);
    // Three timeouts later the uncounted notes of the first post are purged.
    CHECK(uncounted(m).find(std::to_string(t0) + " ") == std::string::npos);
}

TEST_CASE("a reader who bounced once and then reads again is warned and kept",
          "[scenario][lists][bounce]") {
    ListMta m;
    first_post(m, {"alice@test.example"}, {"alice"});
    // One hard bounce (say, a mail server misconfigured for a day).
    const std::string alice_return = "joe-team-return-1-alice=test.example@test.example";
    m.queue(b::postfix_user_unknown("alice@test.example", alice_return), alice_return);
    const std::string history = qm::lists::bounce_history_path(m.dir, "alice@test.example");
    REQUIRE(qmtest::wait_for([&] { return fs::exists(history); }));
    REQUIRE(kept_bounces(m.dir, 'd').size() == 1);
    REQUIRE(m.wait_idle());

    // Too early: nothing happens.
    auto early = m.run({"ezmlm-warn", m.dir}, t0 + 3600);
    CHECK(early.exit_code == 0);
    CHECK(kept_bounces(m.dir, 'd').size() == 1);

    const std::time_t t1 = t0 + eleven_days;
    m.start_at(t1);
    auto warn = m.run({"ezmlm-warn", m.dir}, t1);
    INFO(warn.err);
    REQUIRE(warn.exit_code == 0);
    CHECK(warn.err.find("1 warnings, 0 probes sent") != std::string::npos);
    // This time the warning is delivered.
    REQUIRE(m.wait_messages("alice", 2));
    std::string warning;
    for (const auto& msg : m.messages("alice"))
        if (msg.find("Subject: ezmlm warning") != std::string::npos)
            warning = msg;
    INFO(warning);
    REQUIRE_FALSE(warning.empty());
    CHECK(warning.starts_with("Return-Path: <joe-team-return-warn-" + std::to_string(t1) + "."));
    CHECK(warning.find("-alice=test.example@test.example>\n") != std::string::npos);
    CHECK(warning.find("From: joe-team-help@test.example\n") != std::string::npos);
    CHECK(warning.find("Here are the numbers of the messages that bounced:\n\n   1\n") !=
          std::string::npos);
    CHECK(warning.find("--- Below this line is a copy of the bounce message I received.") !=
          std::string::npos);
    CHECK(warning.find("Recipient address rejected: User unknown") != std::string::npos);
    CHECK(kept_bounces(m.dir, 'd').empty());
    CHECK_FALSE(fs::exists(history));
    // A second run within the lockout does nothing at all.
    CHECK(m.run({"ezmlm-warn", m.dir}, t1 + 60).err.empty());
    REQUIRE(m.wait_idle());

    // No w file, so no probe: alice stays.
    const std::time_t t2 = t1 + eleven_days;
    m.start_at(t2);
    auto again = m.run({"ezmlm-warn", m.dir}, t2);
    CHECK(again.exit_code == 0);
    CHECK(again.err.find("probes") == std::string::npos);
    REQUIRE(m.wait_idle());
    CHECK(subscribed(m, "alice@test.example"));
    CHECK(m.messages("alice").size() == 2);
}

TEST_CASE("the bounce programs explain themselves", "[scenario][lists][bounce][help]") {
    for (const char* p : {"ezmlm-weed", "ezmlm-return", "ezmlm-warn"}) {
        INFO(p);
        auto r = qmtest::run({qmtest::bin(p), "--help"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.starts_with(std::string("usage: ") + p));
        CHECK(r.out.find("Exit:") != std::string::npos);
    }
    CHECK(qmtest::run({qmtest::bin("ezmlm-weed"), "extra"}).exit_code == 100);
    CHECK(qmtest::run({qmtest::bin("ezmlm-return")}).exit_code == 100);
    CHECK(qmtest::run({qmtest::bin("ezmlm-warn"), "-t", "x", "/tmp"}).exit_code == 100);
}

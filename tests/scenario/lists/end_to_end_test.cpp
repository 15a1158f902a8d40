// A mailing list end to end through the real qmail-send: ezmlm-make creates the list in
// a user's home, ezmlm-sub subscribes three readers, a post injected with qmail-inject
// reaches the list's .qmail file, ezmlm-send numbers, archives and queues it once, and
// qmail-send's VERP expansion gives every reader a return path of their own.
#include "list_mta.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;

using liststest::has_line;
using liststest::ListMta;

TEST_CASE("a post reaches every subscriber with list headers and its own return path",
          "[scenario][lists][e2e]") {
    ListMta m;
    m.make({"-f"});
    // ezmlm-make linked joe's dot-qmail files to the list directory.
    CHECK(fs::read_symlink(m.joe + "/.qmail-team") == m.dir + "/editor");
    CHECK(fs::read_symlink(m.joe + "/.qmail-team-return-default") == m.dir + "/bouncer");
    auto sub = m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "alice@test.example",
                           "Bob@TEST.example", "carol@test.example"});
    INFO(sub.err);
    REQUIRE(sub.exit_code == 0);
    auto list = m.root.run({qmtest::bin("ezmlm-list"), m.dir});
    CHECK(list.exit_code == 0);
    CHECK(list.out.find("Bob@test.example\n") != std::string::npos);
    CHECK(m.root.run({qmtest::bin("ezmlm-list"), "-n", m.dir}).out == "3\n");

    m.start();
    m.inject("From: Dave <dave@test.example>\n"
             "To: joe-team@test.example\n"
             "Subject: first post\n"
             "\n"
             "hello list\n");
    for (auto [user, box] : {std::pair<const char*, const char*>{"alice", "alice=test.example"},
                             {"bob", "Bob=test.example"},
                             {"carol", "carol=test.example"}}) {
        INFO(user);
        REQUIRE(m.wait_messages(user, 1));
        auto msgs = m.messages(user);
        REQUIRE(msgs.size() == 1);
        const std::string& msg = msgs[0];
        INFO(msg);
        CHECK(msg.starts_with("Return-Path: <joe-team-return-1-" + std::string(box) +
                              "@test.example>\n"));
        CHECK(has_line(msg, "Mailing-List: contact joe-team-help@test.example; run by ezmlm"));
        CHECK(has_line(msg, "List-Id: <joe-team.test.example>"));
        CHECK(has_line(msg, "List-Post: <mailto:joe-team@test.example>"));
        CHECK(has_line(msg, "List-Unsubscribe: <mailto:joe-team-unsubscribe@test.example>"));
        CHECK(has_line(msg, "List-Help: <mailto:joe-team-help@test.example>"));
        CHECK(has_line(msg, "Precedence: bulk"));
        CHECK(has_line(msg, "Delivered-To: mailing list joe-team@test.example"));
        CHECK(has_line(msg, "Subject: [joe-team] first post"));
        CHECK(has_line(msg, "From: Dave <dave@test.example>"));
        CHECK(msg.ends_with("\n\nhello list\n"));
    }
    CHECK(qmtest::slurp(m.dir + "/num").starts_with("1:"));
    const std::string archived = m.dir + "/archive/0/01";
    REQUIRE(fs::exists(archived));
    CHECK((fs::status(archived).permissions() & fs::perms::owner_exec) != fs::perms::none);
    CHECK(qmtest::slurp(archived).find("Subject: [joe-team] first post\n") != std::string::npos);
    // One queue entry for the three readers: ezmlm-send's own message was one "new msg".
    auto log = m.send->log();
    size_t news = 0;
    for (size_t p = log.find("new msg "); p != std::string::npos; p = log.find("new msg ", p + 1))
        ++news;
    CHECK(news == 2); // dave's post, then the list's copy
    CHECK(m.messages("dave").empty());
}

TEST_CASE("a post that has been through the list already bounces back to its sender",
          "[scenario][lists][e2e]") {
    ListMta m;
    m.make();
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "alice@test.example"}).exit_code == 0);
    m.start();
    m.inject("From: dave@test.example\n"
             "To: joe-team@test.example\n"
             "Delivered-To: mailing list joe-team@test.example\n"
             "Subject: round again\n"
             "\n"
             "loop\n");
    REQUIRE(m.wait_messages("dave", 1));
    auto bounce = m.messages("dave")[0];
    CHECK(bounce.find("this message is looping: it already has my Delivered-To line (#5.4.6)") !=
          std::string::npos);
    m.inject("From: dave@test.example\n"
             "To: joe-team@test.example\n"
             "Mailing-List: contact other-help@elsewhere.example; run by ezmlm\n"
             "Subject: from another list\n"
             "\n"
             "x\n");
    REQUIRE(m.wait_messages("dave", 2));
    bool found = false;
    for (const auto& b : m.messages("dave"))
        found = found || b.find("message already has Mailing-List") != std::string::npos;
    CHECK(found);
    CHECK(m.messages("alice").empty());
    CHECK(qmtest::slurp(m.dir + "/num") == "0:0\n");
}

TEST_CASE("subscriber-only posting rejects strangers", "[scenario][lists][e2e]") {
    ListMta m;
    m.make({"-u"});
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "alice@test.example"}).exit_code == 0);
    m.start();
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: hi\n\nstranger\n");
    REQUIRE(m.wait_messages("dave", 1));
    CHECK(m.messages("dave")[0].find("Sorry, only subscribers may post to this list.") !=
          std::string::npos);
    CHECK(m.messages("alice").empty());
    // A subscriber gets through.
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "dave@test.example"}).exit_code == 0);
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: hi\n\nmember\n");
    REQUIRE(m.wait_messages("alice", 1));
    CHECK(m.messages("alice")[0].ends_with("\n\nmember\n"));
}

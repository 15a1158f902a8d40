// A list made by our ezmlm-make, run partly or wholly by the real ezmlm-idx 7.2.2 (built
// from source as a test peer, support/ezmlm_idx.hpp): subscribers added by both sides get
// each post exactly once, whichever ezmlm-send sends it; the real ezmlm-manage subscribes
// and unsubscribes on our list by mail; the real ezmlm-get serves our archive.
//
// The real programs are put in the list's .qmail files in place of ours (only the
// directory of the program changes), as an admin going back to ezmlm-idx would.
#include "ezmlm_idx.hpp"
#include "list_mta.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using liststest::header_value;
using liststest::ListMta;

namespace {

// Runs the real program in the list's file (editor, manager, ...) in place of ours.
void use_real(const ListMta& m, const std::string& file, const std::string& program) {
    const std::string path = m.dir + "/" + file;
    std::string text = qmtest::slurp(path);
    // |'/some/dir/ezmlm-send' 'dir': ours is wherever ezmlm-make found itself.
    const auto end = text.find("/" + program + "'");
    REQUIRE(end != std::string::npos);
    const auto start = text.rfind('\'', end);
    REQUIRE(start != std::string::npos);
    text.replace(start + 1, end + 1 + program.size() - (start + 1),
                 qmtest::ezmlm_idx().bin(program));
    qmtest::spit(path, text);
    m.root.give_to_user(path);
}

void real_tool(const ListMta& m, const std::string& program, std::vector<std::string> args) {
    args.insert(args.begin(), qmtest::ezmlm_idx().bin(program));
    auto r = m.root.run(args);
    INFO(program << " (ezmlm-idx): " << r.err);
    REQUIRE(r.exit_code == 0);
}

size_t count_with(const ListMta& m, const std::string& user, const std::string& needle) {
    auto msgs = m.messages(user);
    return static_cast<size_t>(std::count_if(msgs.begin(), msgs.end(), [&](const auto& msg) {
        return msg.find(needle) != std::string::npos;
    }));
}

} // namespace

TEST_CASE("subscribers added by ours and by the real ezmlm-sub get each post exactly once",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    ListMta m;
    m.make({"-a"});
    m.tool("ezmlm-sub", {m.dir, "alice@test.example", "bob@test.example"});
    real_tool(m, "ezmlm-sub", {m.dir, "carol@test.example", "dave@test.example"});
    // The same addresses again, each by the other side, in another letter case: no side
    // may add a second record.
    real_tool(m, "ezmlm-sub", {m.dir, "ALICE@TEST.EXAMPLE", "Bob@test.example"});
    m.tool("ezmlm-sub", {m.dir, "Carol@Test.Example", "DAVE@test.example"});
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example", "bob@test.example",
                                                      "carol@test.example", "dave@test.example"});
    m.start();
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: first\n\nours\n");
    for (const char* u : {"alice", "bob", "carol", "dave"})
        CHECK(m.wait_messages(u, 1));
    // The same list, its posts now sent by the real ezmlm-send.
    use_real(m, "editor", "ezmlm-send");
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: second\n\nreal\n");
    // wait_idle alone could look before qmail-send has seen the post.
    for (const char* u : {"alice", "bob", "carol", "dave"})
        CHECK(m.wait_messages(u, 2));
    REQUIRE(m.wait_idle());
    INFO(m.send->log());
    for (const char* u : {"alice", "bob", "carol", "dave"}) {
        INFO(u);
        CHECK(count_with(m, u, "Subject: first") == 1);
        CHECK(count_with(m, u, "Subject: second") == 1);
        CHECK(m.messages(u).size() == 2);
    }
    // Both posts are archived in turn: the real ezmlm-send numbered after ours.
    CHECK(qmtest::slurp(m.dir + "/num").starts_with("2"));
    CHECK(qmtest::slurp(m.dir + "/archive/0/01").find("Subject: first") != std::string::npos);
    CHECK(qmtest::slurp(m.dir + "/archive/0/02").find("Subject: second") != std::string::npos);
}

TEST_CASE("the real ezmlm-manage and ezmlm-get run a list our ezmlm-make made",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    ListMta m;
    m.make({"-a"});
    m.tool("ezmlm-sub", {m.dir, "alice@test.example"});
    use_real(m, "manager", "ezmlm-manage");
    use_real(m, "manager", "ezmlm-get");
    m.start();
    m.inject("From: alice@test.example\nTo: joe-team@test.example\nSubject: archived one\n\n"
             "in the archive\n",
             "alice");
    REQUIRE(m.wait_messages("alice", 1));

    // bob subscribes through the real ezmlm-manage: its confirmation, answered, adds him
    // where our programs find him.
    m.mail_from("bob", "joe-team-subscribe@test.example");
    const std::string ask = m.wait_message_with("bob", "-sc.");
    REQUIRE_FALSE(ask.empty());
    auto reply_to = header_value(ask, "Reply-To");
    REQUIRE(reply_to);
    CHECK(reply_to->starts_with("joe-team-sc."));
    m.mail_from("bob", *reply_to, "Re: confirm");
    REQUIRE(qmtest::wait_for([&] { return m.subscribers().size() == 2; }));
    CHECK(m.subscribers() == std::vector<std::string>{"alice@test.example", "bob@test.example"});

    // The real ezmlm-get serves message 1 of the archive our ezmlm-send wrote.
    m.mail_from("carol", "joe-team-get.1@test.example");
    const std::string got = m.wait_message_with("carol", "in the archive");
    CHECK_FALSE(got.empty());

    // alice leaves through the real ezmlm-manage.
    m.mail_from("alice", "joe-team-unsubscribe@test.example");
    const std::string bye = m.wait_message_with("alice", "-uc.");
    REQUIRE_FALSE(bye.empty());
    auto bye_to = header_value(bye, "Reply-To");
    REQUIRE(bye_to);
    const size_t before_goodbye = m.messages("alice").size();
    m.mail_from("alice", *bye_to, "Re: confirm");
    REQUIRE(qmtest::wait_for([&] { return m.subscribers().size() == 1; }));
    // Her goodbye comes after the change: count from there.
    REQUIRE(m.wait_messages("alice", before_goodbye + 1));
    CHECK(m.subscribers() == std::vector<std::string>{"bob@test.example"});
    // Our ezmlm-send now sends to bob and not to alice.
    const size_t alice_had = m.messages("alice").size();
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: after\n\nx\n");
    CHECK(!m.wait_message_with("bob", "Subject: after").empty());
    REQUIRE(m.wait_idle());
    CHECK(count_with(m, "bob", "Subject: after") == 1);
    CHECK(m.messages("alice").size() == alice_had);
}

// -i (threaded): our ezmlm-make's editor runs ezmlm-archive after each post, as the
// real ezmlm-make's does; the thread files it keeps are those the real ezmlm-archive
// writes (archive_threads_test).
TEST_CASE("a threaded list made by ours keeps its thread files after each post",
          "[scenario][lists]") {
    ListMta m;
    m.make({"-a", "-i"});
    CHECK(qmtest::slurp(m.dir + "/editor").find("ezmlm-archive") != std::string::npos);
    m.tool("ezmlm-sub", {m.dir, "alice@test.example"});
    m.start();
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: a thread\n\nx\n");
    REQUIRE(m.wait_messages("alice", 1));
    REQUIRE(m.wait_idle());
    CHECK(qmtest::wait_for([&] {
        return std::filesystem::exists(m.dir + "/archnum") &&
               qmtest::slurp(m.dir + "/archnum").starts_with("1");
    }));
    CHECK_FALSE(qmtest::list_dir(m.dir + "/archive/threads").empty());
    // Without -i, no such line.
    m.tool("ezmlm-make", {"-e", "-I", m.dir});
    CHECK(qmtest::slurp(m.dir + "/editor").find("ezmlm-archive") == std::string::npos);
}

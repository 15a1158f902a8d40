// Replacing /etc/aliases end to end: newaliases compiles the admin's aliases file,
// ~alias/.qmail-default runs fastforward, and qmail-send delivers every forwarded copy
// through qmail-local. Nested aliases, :include: lists, programs and a file target reach
// their destinations; an alias loop is bounced by qmail-local's Delivered-To check
// instead of circling for ever.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <thread>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

struct AliasedMta {
    qmtest::MailRoot root;
    std::unique_ptr<qmtest::Daemon> send;

    AliasedMta() {
        for (auto u : {"alice", "bob", "carol", "dave", "erin"})
            root.add_user(u);
    }
    void file(const std::string& rel, const std::string& text, unsigned mode = 0644) {
        qmtest::spit(root / rel, text, mode);
        root.give_to_user(root / rel);
    }
    void start() {
        send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
        REQUIRE(qmtest::wait_for(
            [&] { return send->log().find("status: local") != std::string::npos; }));
    }
    void inject(const std::string& sender, const std::string& rcpt, const std::string& body) {
        auto r =
            root.run({qmtest::bin("qmail-queue")},
                     {.stdin_data = body, .fd1_input = "F" + sender + "\0T"s + rcpt + "\0\0"s});
        REQUIRE(r.exit_code == 0);
    }
    [[nodiscard]] std::vector<std::string> messages(const std::string& user) const {
        std::vector<std::string> out;
        std::string dir = root / ("users/" + user + "/Maildir/new");
        for (const auto& f : qmtest::list_dir(dir))
            out.push_back(qmtest::slurp(dir + "/" + f));
        return out;
    }
    bool wait_messages(const std::string& user, size_t n) const {
        return qmtest::wait_for([&] { return messages(user).size() >= n; });
    }
};

} // namespace

TEST_CASE("mail to an alias reaches every member through qmail-send", "[scenario][forward][e2e]") {
    AliasedMta m;
    const std::string alias = m.root / "alias";
    // The seed's example: one address for everybody, built from smaller groups.
    m.file("alias/aliases", "# replaces /etc/aliases\n"
                            "all: staff, managers, contractors\n"
                            "staff: alice, bob\n"
                            "managers: carol, \"|cat >> " +
                                alias +
                                "/program.out\"\n"
                                "contractors: :include:contractors, archive\n"
                                "owner-staff: erin\n"
                                "loop1: loop2\n"
                                "loop2: loop1\n");
    m.file("alias/contractors", "# one per line or comma separated\ndave\n");
    // fastforward refuses file deliveries, as the original does; a file target is an
    // address whose .qmail file appends to an mbox.
    m.file("alias/.qmail-archive", "./archive.mbox\n");
    m.file("alias/.qmail-default",
           "| " + qmtest::bin("fastforward") + " -d " + alias + "/aliases.cdb\n");
    REQUIRE(m.root.run({qmtest::bin("newinclude"), alias + "/contractors"}).exit_code == 0);
    auto na = m.root.run({qmtest::bin("newaliases"), "-f", alias + "/aliases"});
    INFO(na.err);
    REQUIRE(na.exit_code == 0);

    m.start();
    m.inject("ceo@test.example", "all@test.example", "Subject: all hands\n\nmeeting at 10\n");
    for (auto u : {"alice", "bob", "carol", "dave"}) {
        INFO(u);
        REQUIRE(m.wait_messages(u, 1));
        auto msgs = m.messages(u);
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].find("Delivered-To: all@test.example\n") != std::string::npos);
        CHECK(msgs[0].ends_with("Subject: all hands\n\nmeeting at 10\n"));
    }
    // The staff list has an owner: its members' copies carry it as envelope sender.
    CHECK(m.messages("alice")[0].rfind("Return-Path: <owner-staff@test.example>\n", 0) == 0);
    CHECK(m.messages("carol")[0].rfind("Return-Path: <ceo@test.example>\n", 0) == 0);
    REQUIRE(qmtest::wait_for([&] { return fs::exists(alias + "/program.out"); }));
    REQUIRE(qmtest::wait_for([&] { return fs::exists(alias + "/archive.mbox"); }));
    // The program ran through preline: From_ line, Return-Path, Delivered-To, message.
    REQUIRE(qmtest::wait_for([&] {
        return qmtest::slurp(alias + "/program.out").find("meeting at 10\n") != std::string::npos;
    }));
    auto prog = qmtest::slurp(alias + "/program.out");
    CHECK(prog.rfind("From ceo@test.example ", 0) == 0);
    CHECK(prog.find("\nDelivered-To: managers@test.example\n") != std::string::npos);
    auto mbox = qmtest::slurp(alias + "/archive.mbox");
    CHECK(mbox.find("Subject: all hands\n\nmeeting at 10\n") != std::string::npos);
    CHECK(m.messages("erin").empty());
}

TEST_CASE("an alias loop is bounced once, not repeated", "[scenario][forward][e2e]") {
    AliasedMta m;
    const std::string alias = m.root / "alias";
    m.file("alias/aliases", "loop1: loop2\nloop2: loop1\n");
    m.file("alias/.qmail-default",
           "| " + qmtest::bin("fastforward") + " -d " + alias + "/aliases.cdb\n");
    REQUIRE(m.root.run({qmtest::bin("newaliases"), "-f", alias + "/aliases"}).exit_code == 0);
    m.start();
    m.inject("erin@test.example", "loop1@test.example", "Subject: round and round\n\nx\n");
    REQUIRE(m.wait_messages("erin", 1));
    auto bounce = m.messages("erin");
    REQUIRE(bounce.size() == 1);
    CHECK(
        bounce[0].find("This message is looping: it already has my Delivered-To line. (#5.4.6)") !=
        std::string::npos);
    CHECK(bounce[0].find("Subject: round and round") != std::string::npos);
    // The queue drains: nothing else is generated by the loop.
    REQUIRE(qmtest::wait_for([&] { return qmtest::list_dir(m.root / "queue/todo").empty(); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(m.messages("erin").size() == 1);
    auto log = m.send->log();
    size_t news = 0;
    for (size_t p = log.find("new msg "); p != std::string::npos; p = log.find("new msg ", p + 1))
        ++news;
    // The message, loop1 -> loop2, loop2 -> loop1, then the bounce.
    CHECK(news == 4);
}

// fastforward's two kinds of table side by side: the sysadmin's global table (the aliases
// file behind ~alias/.qmail-default) and a table the owner of a virtual domain keeps in
// his own home, compiled with setforward by that user himself.
TEST_CASE("a user-controlled table for a virtual domain beside the global table",
          "[scenario][forward][e2e]") {
    AliasedMta m;
    const std::string alias = m.root / "alias";
    m.file("alias/aliases", "postmaster: erin\n");
    m.file("alias/.qmail-default",
           "| " + qmtest::bin("fastforward") + " -d " + alias + "/aliases.cdb\n");
    REQUIRE(m.root.run({qmtest::bin("newaliases"), "-f", alias + "/aliases"}).exit_code == 0);

    // virt.example belongs to bob: bob-virt-<anything> reaches bob's .qmail-virt-default.
    m.root.control("virtualdomains", "virt.example:bob-virt\n");
    std::string assign = qmtest::slurp(m.root / "users/assign");
    REQUIRE(assign.ends_with(".\n"));
    const std::string bob = m.root / "users/bob";
    auto uid = m.root.user() ? m.root.user()->uid : ::getuid();
    auto gid = m.root.user() ? m.root.user()->gid : ::getgid();
    assign.insert(assign.size() - 2, "+bob-:bob:" + std::to_string(uid) + ":" +
                                         std::to_string(gid) + ":" + bob + ":-::\n");
    m.file("users/assign", assign);
    REQUIRE(m.root.run({qmtest::bin("qmail-newu")}).exit_code == 0);
    m.file("users/bob/.qmail-virt-default", "| " + qmtest::bin("fastforward") + " -d ./virt.cdb\n");
    // bob edits his own table; it is his file, no root involved.
    m.file("users/bob/virt.txt", "sales@virt.example: carol@test.example, dave@test.example;\n"
                                 "@virt.example: alice@test.example;\n");
    auto sf =
        m.root.run({"/bin/sh", "-c", qmtest::bin("setforward") + " virt.cdb virt.tmp < virt.txt"},
                   {.cwd = bob});
    REQUIRE(sf.exit_code == 0);

    m.start();
    m.inject("x@far.example", "sales@virt.example", "Subject: order\n\nplease\n");
    m.inject("x@far.example", "anything@virt.example", "Subject: misc\n\nhi\n");
    m.inject("x@far.example", "postmaster@test.example", "Subject: pm\n\nhi\n");
    for (auto u : {"carol", "dave", "alice", "erin"}) {
        INFO(u);
        REQUIRE(m.wait_messages(u, 1));
    }
    CHECK(m.messages("carol")[0].find("Subject: order") != std::string::npos);
    CHECK(m.messages("dave")[0].find("Subject: order") != std::string::npos);
    CHECK(m.messages("alice")[0].find("Subject: misc") != std::string::npos);
    CHECK(m.messages("erin")[0].find("Subject: pm") != std::string::npos);
    CHECK(m.messages("bob").empty());
}

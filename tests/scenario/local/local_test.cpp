// The real qmail-local (and qmail-newu, qmail-queue) against a mail root, as qmail-lspawn
// would run it: qmail-local -- user homedir local dash ext domain sender defaultdelivery.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;
using namespace std::string_literals;

namespace {

const std::string message = "From: Ann <ann@example.org>\n"
                            "Subject: test\n"
                            "\n"
                            "From the top\n"
                            ">From quoted\n"
                            "last line";

struct Local {
    qmtest::MailRoot root;
    std::string home = root.add_user("joe");

    // A .qmail file in joe's home, owned by the test user.
    void dot_qmail(const std::string& name, const std::string& content, unsigned mode = 0644) {
        const std::string path = home + "/" + name;
        qmtest::spit(path, content, mode);
        root.give_to_user(path);
    }

    qmtest::RunResult deliver(const std::string& local, const std::string& dash,
                              const std::string& ext, const std::string& msg = message,
                              const std::string& sender = "ann@example.org",
                              const std::string& dflt = "./Maildir/",
                              const std::vector<std::string>& flags = {}) {
        std::vector<std::string> argv{qmtest::bin("qmail-local")};
        argv.insert(argv.end(), flags.begin(), flags.end());
        argv.insert(argv.end(),
                    {"--", "joe", home, local, dash, ext, "test.example", sender, dflt});
        return root.run(argv, {.stdin_data = msg});
    }

    [[nodiscard]] std::vector<std::string> maildir_new() const {
        return qmtest::list_dir(home + "/Maildir/new");
    }
};

} // namespace

TEST_CASE("maildir delivery adds Return-Path and Delivered-To", "[scenario][local]") {
    Local l;
    auto r = l.deliver("joe", "", "");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "did 1+0+0\n");
    auto files = l.maildir_new();
    REQUIRE(files.size() == 1);
    CHECK(qmtest::slurp(l.home + "/Maildir/new/" + files[0]) ==
          "Return-Path: <ann@example.org>\nDelivered-To: joe@test.example\n" + message);
    CHECK(qmtest::list_dir(l.home + "/Maildir/tmp").empty());
    // A name unique per delivery: time.MusecPpidQn.host
    CHECK(files[0].find(".M") != std::string::npos);
    CHECK(files[0].find("Q") != std::string::npos);
}

TEST_CASE("mbox delivery is readable by mutt", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-box", "./Mailbox\n");
    for (int i = 0; i < 3; ++i) {
        auto r = l.deliver("joe-box", "-", "box");
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "did 1+0+0\n");
    }
    // A bounce: From_ line names MAILER-DAEMON, Return-Path is empty.
    REQUIRE(l.deliver("joe-box", "-", "box", message, "").exit_code == 0);
    const std::string mbox = qmtest::slurp(l.home + "/Mailbox");
    CHECK(mbox.rfind("From ann@example.org ", 0) == 0);
    CHECK(mbox.find("\nReturn-Path: <ann@example.org>\nDelivered-To: joe-box@test.example\n") !=
          std::string::npos);
    CHECK(mbox.find("\n>From the top\n>>From quoted\nlast line\n\nFrom ann@example.org ") !=
          std::string::npos);
    CHECK(mbox.find("\nFrom MAILER-DAEMON ") != std::string::npos);
    CHECK(mbox.find("\nReturn-Path: <>\n") != std::string::npos);
    CHECK(mbox.ends_with("last line\n\n"));
    qmtest::TempDir scratch;
    CHECK(qmtest::mutt_read(l.home + "/Mailbox", scratch.path()).size() == 4);
}

TEST_CASE("maildir delivery is readable by mutt", "[scenario][local]") {
    Local l;
    for (const char* subject : {"one", "two", "three"}) {
        const std::string msg = "From: Ann <ann@example.org>\nSubject: " + std::string(subject) +
                                "\n\nbody of " + subject + "\n";
        auto r = l.deliver("joe", "", "", msg);
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "did 1+0+0\n");
    }
    REQUIRE(l.maildir_new().size() == 3);
    qmtest::TempDir scratch;
    const auto got = qmtest::mutt_read(l.home + "/Maildir", scratch.path());
    REQUIRE(got.size() == 3);
    for (const char* subject : {"one", "two", "three"}) {
        INFO(subject);
        CHECK(std::count_if(got.begin(), got.end(), [&](const std::string& m) {
                  return m.find("\nSubject: " + std::string(subject) + "\n") != std::string::npos &&
                         m.ends_with("\n\nbody of " + std::string(subject) + "\n") &&
                         m.find("Delivered-To: joe@test.example\n") != std::string::npos;
              }) == 1);
    }
}

TEST_CASE("extension files, -default files and DEFAULT", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-foo-bar", "|echo exact $EXT\n");
    l.dot_qmail(".qmail-foo-default", "|echo foo-default $DEFAULT $EXT2\n");
    l.dot_qmail(".qmail-default", "|echo catch-all \"$DEFAULT\" $LOCAL $HOST2\n");

    auto r = l.deliver("joe-Foo-Bar", "-", "Foo-Bar");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "exact Foo-Bar\ndid 0+0+1\n");
    r = l.deliver("joe-foo-Some.Thing", "-", "foo-Some.Thing");
    CHECK(r.out == "foo-default Some.Thing Some.Thing\ndid 0+0+1\n");
    r = l.deliver("joe-other", "-", "other");
    CHECK(r.out == "catch-all other joe-other test\ndid 0+0+1\n");
}

TEST_CASE("a dash address without a file has no mailbox", "[scenario][local]") {
    Local l;
    auto r = l.deliver("joe-nothere", "-", "nothere");
    CHECK(r.exit_code == 100);
    CHECK(r.err == "Sorry, no mailbox here by that name. (#5.1.1)\n");
    CHECK(l.maildir_new().empty());
}

TEST_CASE("the user's own address without a .qmail uses the default delivery",
          "[scenario][local]") {
    Local l;
    auto r = l.deliver("joe", "", "", message, "ann@example.org", "./Mailbox");
    CHECK(r.exit_code == 0);
    CHECK(fs::exists(l.home + "/Mailbox"));
    // An empty (0-byte) .qmail means the default delivery too (dot-qmail(5)).
    l.dot_qmail(".qmail", "");
    r = l.deliver("joe", "", "");
    CHECK(r.out == "did 1+0+0\n");
    CHECK(l.maildir_new().size() == 1);
    // A comment-only file delivers nowhere, successfully.
    l.dot_qmail(".qmail", "# on holiday, drop everything\n");
    r = l.deliver("joe", "", "");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "did 0+0+0\n");
    CHECK(l.maildir_new().size() == 1);
}

TEST_CASE("program delivery: environment, stdin and cwd", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-env-default",
                "|echo \"$USER|$HOME|$LOCAL|$HOST|$RECIPIENT|$SENDER|$NEWSENDER|$EXT|$EXT2|"
                "$EXT3|$EXT4|$HOST2|$HOST3|$HOST4|$DEFAULT\"; printf %s \"$DTLINE$RPLINE\"; pwd; "
                "cat > got; printf %s \"$UFLINE\" | cut -c1-21\n");
    auto r = l.deliver("joe-env-a-b-c", "-", "env-a-b-c");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "joe|" + l.home +
                       "|joe-env-a-b-c|test.example|joe-env-a-b-c@test.example|ann@example.org|"
                       "ann@example.org|env-a-b-c|a-b-c|b-c|c|test|test|test|a-b-c\n"
                       "Delivered-To: joe-env-a-b-c@test.example\n"
                       "Return-Path: <ann@example.org>\n" +
                       l.home + "\nFrom ann@example.org \ndid 0+0+1\n");
    // The program gets the message as queued, without the added lines.
    CHECK(qmtest::slurp(l.home + "/got") == message);
}

TEST_CASE("program exit codes", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-ok", "|echo one\n|echo two\n");
    l.dot_qmail(".qmail-stop", "|echo first; exit 99\n./Maildir/\n&never@example.net\n");
    l.dot_qmail(".qmail-hard", "|echo no such list; exit 100\n./Maildir/\n");
    l.dot_qmail(".qmail-sysexit", "|exit 67\n"); // EX_NOUSER is not in the hard list
    l.dot_qmail(".qmail-dataerr", "|echo bad data; exit 65\n");
    l.dot_qmail(".qmail-soft", "|echo busy; exit 111\n./Maildir/\n");
    l.dot_qmail(".qmail-crash", "|kill -SEGV $$\n");

    // What each address's delivery must give: exit code, then stdout and stderr where they
    // are checked (nullptr: not). No program lets the delivery reach ./Maildir/.
    struct Case {
        const char* ext;
        int exit_code;
        const char* out;
        const char* err;
    };
    const Case cases[] = {
        {"ok", 0, "one\ntwo\ndid 0+0+2\n", nullptr},
        {"stop", 0, "first\ndid 0+0+1\n", nullptr},
        {"hard", 100, nullptr, "no such list\n"},
        {"sysexit", 111, nullptr, nullptr},
        {"dataerr", 100, nullptr, "bad data\n"},
        {"soft", 111, nullptr, "busy\n"},
        {"crash", 111, nullptr, "Aack, child crashed. (#4.3.0)\n"},
    };
    for (const Case& c : cases) {
        INFO(c.ext);
        auto r = l.deliver(std::string("joe-") + c.ext, "-", c.ext);
        CHECK(r.exit_code == c.exit_code);
        if (c.out != nullptr)
            CHECK(r.out == c.out);
        if (c.err != nullptr)
            CHECK(r.err == c.err);
        CHECK(l.maildir_new().empty());
    }
}

namespace {

struct Queued {
    std::string envelope, message;
};

std::vector<Queued> queued(const qmtest::MailRoot& root) {
    std::vector<Queued> out;
    for (auto& id : qmtest::list_dir(root / "queue/todo")) {
        const std::string split = std::to_string(std::stoul(id) % 23);
        out.push_back({qmtest::slurp(root / ("queue/todo/" + id)),
                       qmtest::slurp(root / ("queue/mess/" + split + "/" + id))});
    }
    return out;
}

std::string after_received(const std::string& mess) {
    // qmail-queue puts its Received line (possibly folded) on top.
    size_t pos = 0;
    do {
        pos = mess.find('\n', pos) + 1;
    } while (pos < mess.size() && (mess[pos] == ' ' || mess[pos] == '\t'));
    return mess.substr(pos);
}

} // namespace

TEST_CASE("forwards go out last, in one qmail-queue run", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-fw", "&bob@example.net\n./Maildir/\ncarol@example.com\n");
    auto r = l.deliver("joe-fw", "-", "fw");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.rfind("did 1+2+0\nqp ", 0) == 0);
    CHECK(l.maildir_new().size() == 1);
    auto q = queued(l.root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].envelope.ends_with("\0Fann@example.org\0Tbob@example.net\0Tcarol@example.com\0"s));
    CHECK(after_received(q[0].message) == "Delivered-To: joe-fw@test.example\n" + message);
}

TEST_CASE("owner files (.qmail-ext-owner) rewrite the forwarding sender", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-list", "&sub@example.net\n");
    l.dot_qmail(".qmail-list-owner", "&owner@example.net\n");
    REQUIRE(l.deliver("joe-list", "-", "list").exit_code == 0);
    l.dot_qmail(".qmail-list-owner-default", "&owner@example.net\n");
    REQUIRE(l.deliver("joe-list", "-", "list").exit_code == 0);
    // Bounces keep their sender.
    REQUIRE(l.deliver("joe-list", "-", "list", message, "").exit_code == 0);
    REQUIRE(l.deliver("joe-list", "-", "list", message, "#@[]").exit_code == 0);

    std::vector<std::string> senders;
    for (auto& q : queued(l.root)) {
        size_t f = q.envelope.find("\0F"s);
        REQUIRE(f != std::string::npos);
        senders.push_back(q.envelope.substr(f + 2, q.envelope.find('\0', f + 2) - f - 2));
    }
    std::sort(senders.begin(), senders.end());
    CHECK(senders == std::vector<std::string>{"", "#@[]", "joe-list-owner-@test.example-@[]",
                                              "joe-list-owner@test.example"});
}

TEST_CASE("a message with our Delivered-To line is looping", "[scenario][local]") {
    Local l;
    auto r = l.deliver("joe", "", "",
                       "Received: x\nDelivered-To: joe@test.example\nSubject: loop\n\nbody\n");
    CHECK(r.exit_code == 100);
    CHECK(r.err == "This message is looping: it already has my Delivered-To line. (#5.4.6)\n");
    CHECK(l.maildir_new().empty());
    // Only header lines count, and only byte-identical ones.
    r = l.deliver("joe", "", "", "Subject: x\n\nDelivered-To: joe@test.example\n");
    CHECK(r.exit_code == 0);
    r = l.deliver("joe", "", "", "Delivered-To: JOE@test.example\n\nbody\n");
    CHECK(r.exit_code == 0);
    CHECK(l.maildir_new().size() == 2);
}

TEST_CASE("execute bit and +list mean forward only", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-x", "./Maildir/\n", 0744);
    auto r = l.deliver("joe-x", "-", "x");
    CHECK(r.exit_code == 111);
    CHECK(r.err == "Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)\n");
    l.dot_qmail(".qmail-xp", "|echo hi\n", 0744);
    r = l.deliver("joe-xp", "-", "xp");
    CHECK(r.exit_code == 111);
    CHECK(r.err == "Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)\n");
    l.dot_qmail(".qmail-xf", "&bob@example.net\n", 0744);
    CHECK(l.deliver("joe-xf", "-", "xf").exit_code == 0);
    l.dot_qmail(".qmail-plus", "+list\n&bob@example.net\n|echo hi\n");
    r = l.deliver("joe-plus", "-", "plus");
    CHECK(r.exit_code == 111);
    CHECK(r.err == "Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)\n");
    CHECK(l.maildir_new().empty());
}

TEST_CASE("writable .qmail files and homes are refused", "[scenario][local]") {
    Local l;
    for (unsigned mode : {0664u, 0646u, 0666u}) {
        l.dot_qmail(".qmail-w", "./Maildir/\n", mode);
        auto r = l.deliver("joe-w", "-", "w");
        CHECK(r.exit_code == 111);
        CHECK(r.err == "Uh-oh: .qmail file is writable. (#4.7.0)\n");
    }
    l.dot_qmail(".qmail-blank", "\n./Maildir/\n");
    auto r = l.deliver("joe-blank", "-", "blank");
    CHECK(r.exit_code == 111);
    CHECK(r.err == "Uh-oh: first line of .qmail file is blank. (#4.2.1)\n");

    ::chmod(l.home.c_str(), 0757);
    r = l.deliver("joe", "", "");
    CHECK(r.exit_code == 111);
    CHECK(r.err == "Uh-oh: home directory is writable. (#4.7.0)\n");
    ::chmod(l.home.c_str(), 01755);
    r = l.deliver("joe", "", "");
    CHECK(r.exit_code == 111);
    CHECK(r.err == "Home directory is sticky: user is editing his .qmail file. (#4.2.1)\n");
    CHECK(l.maildir_new().empty());
    ::chmod(l.home.c_str(), 0755);
    CHECK(l.deliver("joe", "", "").exit_code == 0);
}

TEST_CASE("an unreadable .qmail is a temporary failure", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-secret", "./Maildir/\n", 0000);
    // The owner could still read it as root; the test user cannot with mode 000.
    auto r = l.deliver("joe-secret", "-", "secret");
    CHECK(r.exit_code == 111);
    CHECK(r.err.rfind("Unable to open .qmail-secret: ", 0) == 0);
}

TEST_CASE("qmail-local -n lists the instructions", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-n", "# c\n./Mailbox\n./Maildir/\n|prog arg\n&a@b.example\nc@d.example\n");
    auto r = l.deliver("joe-n", "-", "n", message, "ann@example.org", "./Maildir/", {"-n"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "mbox ./Mailbox\nmaildir ./Maildir/\nprogram prog arg\nforward a@b.example\n"
                   "forward c@d.example\ndid 2+2+1\n");
    CHECK_FALSE(fs::exists(l.home + "/Mailbox"));
    CHECK(l.maildir_new().empty());
    CHECK(qmtest::list_dir(l.root / "queue/todo").empty());
}

TEST_CASE("qmail-local usage errors and --help", "[scenario][local]") {
    auto r = qmtest::run({qmtest::bin("qmail-local"), "--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("usage: qmail-local") != std::string::npos);
    r = qmtest::run({qmtest::bin("qmail-local"), "--", "joe", "/tmp"});
    CHECK(r.exit_code == 100);
    r = qmtest::run(
        {qmtest::bin("qmail-local"), "-x", "--", "a", "/h", "c", "d", "e", "f", "g", "h"});
    CHECK(r.exit_code == 100);
}

TEST_CASE("qmail-newu builds users/cdb and keeps it on a bad line", "[scenario][local]") {
    qmtest::MailRoot root;
    root.add_user("joe");
    const std::string good = qmtest::slurp(root / "users/cdb");
    qmtest::spit(root / "users/assign", "=joe:joe:1:1:/h:::\n=ann:ann:1:1\n.\n");
    root.give_to_user(root / "users/assign");
    auto r = root.run({qmtest::bin("qmail-newu")});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("users/assign line 2") != std::string::npos);
    CHECK(qmtest::slurp(root / "users/cdb") == good);

    auto help = qmtest::run({qmtest::bin("qmail-newu"), "--help"});
    CHECK(help.exit_code == 0);
}

TEST_CASE("qmail-pw2u turns passwd into assign", "[scenario][local]") {
    qmtest::MailRoot root;
    auto r = root.run({qmtest::bin("qmail-pw2u"), "-H"},
                      {.stdin_data = "joe:x:1001:100::/home/joe:/bin/sh\n"
                                     "alias:x:7790:2108::/var/qmail/alias:/bin/true\n"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "=joe:joe:1001:100:/home/joe:::\n"
                   "+joe-:joe:1001:100:/home/joe:-::\n"
                   "+:alias:7790:2108:/var/qmail/alias:-::\n"
                   "=alias:alias:7790:2108:/var/qmail/alias:::\n"
                   "+alias-:alias:7790:2108:/var/qmail/alias:-::\n"
                   ".\n");
    r = root.run({qmtest::bin("qmail-pw2u"), "-H"},
                 {.stdin_data = "joe:x:1001:100::/home/joe:/bin/sh\n"});
    CHECK(r.exit_code == 111);
    CHECK(r.err.find("alias") != std::string::npos);
    CHECK(qmtest::run({qmtest::bin("qmail-pw2u"), "--help"}).exit_code == 0);
}

TEST_CASE("a failed forward reports qmail-queue's verdict", "[scenario][local]") {
    Local l;
    l.dot_qmail(".qmail-fw", "&bob@example.net\n");
    qmtest::TempDir bin;
    qmtest::spit(bin / "qq-perm", "#!/bin/sh\ncat >/dev/null\nexit 31\n", 0755);
    qmtest::spit(bin / "qq-temp", "#!/bin/sh\ncat >/dev/null\nexit 71\n", 0755);
    auto run = [&](const std::string& qq) {
        return l.root.run({qmtest::bin("qmail-local"), "--", "joe", l.home, "joe-fw", "-", "fw",
                           "test.example", "ann@example.org", "./Maildir/"},
                          {.stdin_data = message, .env = {{"QMAILQUEUE", bin / qq}}});
    };
    auto r = run("qq-perm");
    CHECK(r.exit_code == 100);
    CHECK(r.err == "Unable to forward message: mail server permanently rejected message "
                   "(#5.3.0).\n");
    r = run("qq-temp");
    CHECK(r.exit_code == 111);
    CHECK(r.err.rfind("Unable to forward message: ", 0) == 0);
}

TEST_CASE("qmail-local -n only warns about a sticky home", "[scenario][local]") {
    Local l;
    ::chmod(l.home.c_str(), 01755);
    auto r = l.deliver("joe", "", "", message, "ann@example.org", "./Maildir/", {"-n"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Warning: home directory is sticky.\nmaildir ./Maildir/\ndid 1+0+0\n");
    ::chmod(l.home.c_str(), 0755);
}

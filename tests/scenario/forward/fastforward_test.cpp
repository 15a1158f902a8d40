// Our fastforward, dot-forward and table tools run as programs against a temporary mail
// root: what reaches qmail-queue, exit codes, -n output, atomic table replacement.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

struct Queued {
    std::string envelope, message;
};

// Every message waiting in queue/todo (qmail-send is not running here).
std::vector<Queued> queued(const qmtest::MailRoot& root) {
    std::vector<Queued> out;
    for (const auto& id : qmtest::list_dir(root / "queue/todo")) {
        std::string split = std::to_string(std::stoul(id) % 23);
        auto env = qmtest::slurp(root / ("queue/todo/" + id));
        // todo/N starts with the info lines (u, p); the envelope is from "F" on.
        out.push_back({env.substr(env.find("\0F"s) + 1),
                       qmtest::slurp(root / ("queue/mess/" + split + "/" + id))});
    }
    return out;
}

qmtest::MailRoot& with_controls(qmtest::MailRoot& root) {
    root.control("me", "mail.yp.to\n");
    root.control("defaultdomain", "yp.to\n");
    root.control("plusdomain", "yp.to\n");
    return root;
}

void setforward(const qmtest::MailRoot& root, const std::string& table, const std::string& text) {
    auto r = root.run({qmtest::bin("setforward"), table, table + ".tmp"}, {.stdin_data = text});
    REQUIRE(r.exit_code == 0);
}

const std::string message = "Subject: hi\n\nbody\n";

} // namespace

TEST_CASE("fastforward injects one copy with the owner as sender", "[scenario][forward]") {
    qmtest::MailRoot root;
    with_controls(root);
    std::string t = root / "alias/t.cdb";
    setforward(root, t,
               "sos@yp.to: ?owner-sos@yp.to;\n"
               "sos@yp.to: ./sos.bin, joe@yp.to;\n");
    qmtest::spit(root / "alias/sos.bin", "&god@heaven.af.mil\0&Bob@Example.COM\0"s);
    root.give_to_user(root / "alias");
    auto r = root.run({qmtest::bin("fastforward"), t},
                      {.stdin_data = message,
                       .env = {{"RECIPIENT", "sos@yp.to"},
                               {"SENDER", "alice@ext.org"},
                               {"DTLINE", "Delivered-To: alias-sos@yp.to\n"}},
                       .cwd = root / "alias"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.rfind("fastforward: qp ", 0) == 0);
    auto q = queued(root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].envelope == "Fowner-sos@yp.to\0Tgod@heaven.af.mil\0TBob@Example.COM\0"
                           "Tjoe@yp.to\0"s);
    CHECK(q[0].message.find("\nDelivered-To: alias-sos@yp.to\n" + message) != std::string::npos);
}

TEST_CASE("fastforward -n, -p, -d and exit codes", "[scenario][forward]") {
    qmtest::MailRoot root;
    with_controls(root);
    std::string t = root / "alias/t.cdb";
    setforward(root, t,
               "root@: &god@heaven.af.mil, |true;\n"
               "loop@yp.to: &loop2@yp.to;\n"
               "loop2@yp.to: &loop@yp.to;\n");
    auto ff = [&](std::vector<std::string> args, std::map<std::string, std::string> env) {
        args.insert(args.begin(), qmtest::bin("fastforward"));
        args.push_back(t);
        return root.run(args, {.stdin_data = message, .env = env});
    };
    auto n = ff({"-n"}, {{"RECIPIENT", "ROOT@Any.Host"}, {"SENDER", "a@b"}});
    CHECK(n.exit_code == 0);
    CHECK(n.err == "run |true\nfrom <a@b>\nto <god@heaven.af.mil>\n");
    auto bounce = ff({"-n"}, {{"RECIPIENT", "root@x"}, {"SENDER", ""}});
    CHECK(bounce.err == "run |true\nfrom <>\nto <god@heaven.af.mil>\n");
    auto d = ff({"-nd"}, {{"DEFAULT", "root"}, {"HOST", "yp.to"}, {"SENDER", "a@b"}});
    CHECK(d.err == n.err);
    auto ext = ff({"-nd"}, {{"EXT", "root"}, {"HOST", "yp.to"}, {"SENDER", "a@b"}});
    CHECK(ext.err == n.err);
    auto unknown = ff({}, {{"RECIPIENT", "nobody@yp.to"}});
    CHECK(unknown.exit_code == 100);
    CHECK(unknown.err == "Sorry, no mailbox here by that name. (#5.1.1)\n");
    CHECK(ff({"-p"}, {{"RECIPIENT", "nobody@yp.to"}}).exit_code == 0);
    auto loop = ff({"-n"}, {{"RECIPIENT", "loop@yp.to"}, {"SENDER", "a@b"}});
    CHECK(loop.exit_code == 0);
    CHECK(loop.err == "no forwarding\n");
    CHECK(ff({"-p", "-n"}, {{"RECIPIENT", "loop@yp.to"}}).exit_code == 99);
    auto norcpt = ff({}, {});
    CHECK(norcpt.exit_code == 100);
    CHECK(norcpt.err == "fastforward: fatal: $RECIPIENT must be set\n");
    CHECK(ff({"-d"}, {{"HOST", "x"}}).err == "fastforward: fatal: $DEFAULT or $EXT must be set\n");
    CHECK(ff({"-x"}, {}).exit_code == 100);
    auto missing =
        root.run({qmtest::bin("fastforward"), root / "none.cdb"}, {.env = {{"RECIPIENT", "a@b"}}});
    CHECK(missing.exit_code == 111);
    CHECK(queued(root).empty());
}

TEST_CASE("fastforward programs: order, exit codes, nothing forwarded after a failure",
          "[scenario][forward]") {
    qmtest::MailRoot root;
    with_controls(root);
    std::string t = root / "alias/t.cdb";
    std::string log = root / "alias/log";
    setforward(root, t,
               "ok@: |cat>>" + log + ", &x@y, !cat>>" + log +
                   ";\n"
                   "hard@: |exit\\ 77, &x@y;\n"
                   "soft@: |exit\\ 75, &x@y;\n");
    root.give_to_user(root / "alias");
    std::map<std::string, std::string> env = {{"SENDER", "a@b"},
                                              {"DTLINE", "Delivered-To: ok@yp.to\n"},
                                              {"RPLINE", "Return-Path: <a@b>\n"},
                                              {"UFLINE", "From a@b Thu Jan  1 00:00:00 1970\n"}};
    env["RECIPIENT"] = "ok@yp.to";
    auto ok = root.run({qmtest::bin("fastforward"), t}, {.stdin_data = message, .env = env});
    INFO(ok.err);
    REQUIRE(ok.exit_code == 0);
    // Both programs saw the whole message, last written first (fastforward pops its
    // stack); the '!' one through preline. (setforward strips spaces, so "cat >> log"
    // is written without them.)
    CHECK(qmtest::slurp(log) == "From a@b Thu Jan  1 00:00:00 1970\n"
                                "Return-Path: <a@b>\nDelivered-To: ok@yp.to\n" +
                                    message + message);
    CHECK(queued(root).size() == 1);
    env["RECIPIENT"] = "hard@yp.to";
    CHECK(
        root.run({qmtest::bin("fastforward"), t}, {.stdin_data = message, .env = env}).exit_code ==
        100);
    env["RECIPIENT"] = "soft@yp.to";
    CHECK(
        root.run({qmtest::bin("fastforward"), t}, {.stdin_data = message, .env = env}).exit_code ==
        111);
    CHECK(queued(root).size() == 1);
}

TEST_CASE("dot-forward forwards with NEWSENDER and keeps direct delivery",
          "[scenario][forward][dotforward]") {
    qmtest::MailRoot root;
    with_controls(root);
    std::string home = root / "alias";
    qmtest::spit(home + "/.forward", "alice, Bob Jones <bj@example.com>\n");
    qmtest::spit(home + "/.forward2", "# comments only\n\nbob, carol@x.org\n");
    qmtest::spit(home + "/.empty", "");
    qmtest::spit(home + "/.bad", "ok@x\n/var/mail/bob\n");
    root.give_to_user(home);
    std::map<std::string, std::string> env = {{"USER", "bob"},
                                              {"HOST", "yp.to"},
                                              {"NEWSENDER", "list-owner@x"},
                                              {"DTLINE", "Delivered-To: bob@yp.to\n"}};
    auto run = [&](std::vector<std::string> files) {
        files.insert(files.begin(), qmtest::bin("dot-forward"));
        return root.run(files, {.stdin_data = message, .env = env, .cwd = home});
    };
    auto r = run({".none", ".empty", ".forward"});
    INFO(r.err);
    CHECK(r.exit_code == 99);
    CHECK(r.err.rfind("dot-forward: info: qp ", 0) == 0);
    auto q = queued(root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].envelope == "Flist-owner@x\0Tbj@example.com\0Talice@mail.yp.to\0"s);
    CHECK(q[0].message.find("\nDelivered-To: bob@yp.to\n" + message) != std::string::npos);

    auto direct = run({".forward2"});
    CHECK(direct.exit_code == 0); // qmail-local goes on to ./Maildir/
    CHECK(queued(root).size() == 2);

    auto n = root.run({qmtest::bin("dot-forward"), "-n", ".empty", ".forward2"},
                      {.env = env, .cwd = home});
    CHECK(n.exit_code == 0);
    CHECK(n.err == "skipping empty file .empty\nforward carol@x.org\ndirect delivery\n");

    auto bad = run({".bad"});
    CHECK(bad.exit_code == 111);
    CHECK(bad.err == "dot-forward: fatal: .bad:2: file delivery /var/mail/bob not supported\n");
    CHECK(run({".none"}).exit_code == 0);
    CHECK(queued(root).size() == 2);
}

TEST_CASE("newaliases replaces the table atomically and names the bad line",
          "[scenario][forward][newaliases]") {
    qmtest::MailRoot root;
    with_controls(root);
    std::string aliases = root / "etc/aliases";
    fs::create_directories(root / "etc");
    qmtest::spit(aliases, "root: alice\npostmaster: root\n");
    root.give_to_user(root / "etc");
    // Under a strict umask too, since fastforward reads the table as the alias user.
    auto na = [&] {
        return root.run(
            {"/bin/sh", "-c", "umask 077; exec " + qmtest::bin("newaliases") + " -f " + aliases});
    };
    auto r = na();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto before = qmtest::slurp(aliases + ".cdb");
    struct stat st {};
    REQUIRE(::stat((aliases + ".cdb").c_str(), &st) == 0);
    CHECK((st.st_mode & 0444) == 0444); // fastforward runs as the alias user

    qmtest::spit(aliases, "root: alice\n\n# broken below\nstaff: bob,\n  \"carol\nx: y\n");
    auto bad = na();
    CHECK(bad.exit_code == 100);
    CHECK(bad.err == "newaliases: fatal: " + aliases +
                         ":4: unable to parse this line (unterminated quoted string): staff: "
                         "bob,\n");
    CHECK(qmtest::slurp(aliases + ".cdb") == before);
    qmtest::spit(aliases, "f: /var/mail/f\n");
    CHECK(na().err == "newaliases: fatal: " + aliases +
                          ":1: file delivery /var/mail/f not "
                          "supported\n");
    CHECK(qmtest::slurp(aliases + ".cdb") == before);
    // No temporary files are left behind.
    CHECK(qmtest::list_dir(root / "etc") == std::vector<std::string>{"aliases", "aliases.cdb"});

    auto missing = root.run({qmtest::bin("newaliases"), "-f", root / "none"});
    CHECK(missing.exit_code == 111);
    auto help = root.run({qmtest::bin("newaliases"), "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("usage: newaliases") == 0);
}

TEST_CASE("every forwarding program answers --help", "[scenario][forward]") {
    for (auto p : {"fastforward", "newaliases", "newinclude", "setforward", "printforward",
                   "setmaillist", "printmaillist", "dot-forward"}) {
        auto r = qmtest::run({qmtest::bin(p), "--help"});
        INFO(p);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("usage: "s + p) == 0);
    }
}

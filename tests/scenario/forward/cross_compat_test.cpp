// Cross-compatibility with Debian's fastforward 0.51 and dot-forward 0.71 packages
// (installed by script/bootstrap): the same input gives the same cdb records, each side's
// printforward reads the other's tables, and their fastforward and dot-forward, run as
// .qmail programs, inject through our qmail-queue.
//
// Debian builds them for the mail root /var/lib/qmail and /etc/aliases (no QMAILQUEUE or
// QMAILHOME: `strings` shows only "bin/qmail-queue" after a chdir to /var/lib/qmail), so
// those runs happen in a private mount namespace (unshare -m) with our temporary mail
// root bind-mounted on /var/lib/qmail and a scratch directory on /etc. That needs root;
// without it the namespace tests are skipped with a warning.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

const char* const debian_fastforward = "/usr/bin/fastforward";
const char* const debian_newaliases = "/usr/sbin/qmail-newaliases";
const char* const debian_setforward = "/usr/bin/setforward";
const char* const debian_printforward = "/usr/bin/printforward";
const char* const debian_setmaillist = "/usr/bin/setmaillist";
const char* const debian_printmaillist = "/usr/bin/printmaillist";
const char* const debian_dot_forward = "/usr/bin/dot-forward";

void require_debian_packages() {
    for (auto p : {debian_fastforward, debian_newaliases, debian_setforward, debian_printforward,
                   debian_setmaillist, debian_printmaillist, debian_dot_forward}) {
        INFO(std::string(p) + " missing: run script/bootstrap (Debian packages fastforward, "
                              "dot-forward)");
        REQUIRE(fs::exists(p));
    }
}

bool can_unshare() {
    if (::geteuid() != 0)
        return false;
    return qmtest::run({"/usr/bin/unshare", "-m", "/bin/true"}).exit_code == 0;
}

// argv wrapped to run with root mounted on /var/lib/qmail (and etc, if given, on /etc),
// as the mail root's test user when there is one.
std::vector<std::string> namespace_argv(const qmtest::MailRoot& root, const std::string& etc,
                                        const std::vector<std::string>& argv) {
    std::string script = "mount --bind \"$0\" /var/lib/qmail || exit 90\n";
    if (!etc.empty())
        script += "mount --bind " + etc + " /etc || exit 91\n";
    std::vector<std::string> full = {"/usr/bin/unshare", "-m", "/bin/sh", "-c"};
    if (auto u = root.user()) {
        script += "exec /usr/bin/setpriv --reuid=" + std::to_string(u->uid) +
                  " --regid=" + std::to_string(u->gid) + " --clear-groups \"$@\"\n";
    } else {
        script += "exec \"$@\"\n";
    }
    full.push_back(script);
    full.push_back(root.home());
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
}

qmtest::RunResult in_namespace(const qmtest::MailRoot& root, const std::string& etc,
                               const std::vector<std::string>& argv, qmtest::RunOptions opts) {
    opts.env.emplace("QMAILHOME", root.home());
    return qmtest::run(namespace_argv(root, etc, argv), opts);
}

std::string cdb_dump(const std::string& path) {
    auto r = qmtest::run({"/usr/bin/cdb", "-d", path});
    REQUIRE(r.exit_code == 0);
    return r.out;
}

void controls(qmtest::MailRoot& root) {
    root.control("me", "mail.yp.to\n");
    root.control("defaultdomain", "yp.to\n");
    root.control("plusdomain", "pd.yp.to\n");
}

// An aliases file exercising everything newaliases 0.51 accepts.
const std::string aliases_corpus = "# The seed's example and sendmail's classics\n"
                                   "root: alice, bill (the admin)\n"
                                   "staff: :include:/etc/staff-list\n"
                                   "owner-staff: Staff Admin <admin@yp.to>\n"
                                   "weather: \"|weather-server --city x\"\n"
                                   "hostmaster@yp.to:\n"
                                   "   fred,\n"
                                   "\n"
                                   "   Joe Shmoe <shmoe@heaven.af.mil>\n"
                                   "@virt.dom: catchall\n"
                                   "all@ourdomain.com: staff, managers, contractors\n"
                                   "nocolon joe\n"
                                   "a1: b c d\n"
                                   "a2: |prog x y\n"
                                   "a3: b, \"|p\", c, :include:rel, d\n"
                                   "grp: friends: a@b, c@d;\n"
                                   "a4: x@host, y@host+, z@[1.2.3.4], w@b., v@[x]\n"
                                   "a5: \"spaced out\"@h, \"q x\"\n"
                                   "A6@B.COM: Bob@Example.COM\n"
                                   "a7: b <c@d> (e) f, x y <z@w>\n"
                                   "  lead: x\n"
                                   "a8: : include : \"/p q\", \":include:/x\"\n"
                                   "Owner-foo: bob\n"
                                   "owner-bar@Dom.Ain: bob\n"
                                   "a9: \\bob, b@c@d, <\"|x y\">, b . c @ d . e\r\n"
                                   "# comment\n"
                                   "\tcomment continuation: evil@x\n"
                                   "\"quoted target\": x, <b,c>, \"q r\"@\n"
                                   "dup: first\n"
                                   "dup: second\n";

// The namespace tests' start: Debian's packages must be there; without mount namespaces
// (not root) the test is skipped with a warning naming what.
bool namespace_test_can_run(const std::string& what) {
    require_debian_packages();
    if (can_unshare())
        return true;
    qmtest::skip(what);
    return false;
}

// program < file, through the shell: a file on stdin, which tinycdb can map.
qmtest::RunResult reading(const std::string& program, const std::string& file) {
    return qmtest::run({"/bin/sh", "-c", program + " < " + file});
}

// aliases_corpus compiled by Debian's newaliases into etc/aliases.cdb, in a namespace
// where etc is /etc and root is /var/lib/qmail.
qmtest::RunResult debian_newaliases_of_corpus(qmtest::MailRoot& root, qmtest::TempDir& etc) {
    qmtest::spit(etc / "aliases", aliases_corpus);
    root.give_to_user(etc.path());
    return in_namespace(root, etc.path(), {debian_newaliases}, {});
}

} // namespace

TEST_CASE("setforward: Debian's and ours write identical tables, each printforward reads "
          "the other's",
          "[scenario][forward][compat]") {
    require_debian_packages();
    qmtest::TempDir d;
    const std::string input = "root@yp.to: god@heaven.af.mil, &staff@af.mil;\n"
                              "sos@yp.to: ?owner-sos@yp.to;\n"
                              "sos@yp.to: /etc/lists/sos.bin, joe@yp.to, |archive-it;\n"
                              "news@: !/usr/bin/news-in -v;\n"
                              "@virt.dom: &catch\\ all@virt.dom, weird\\:\\,\\;\\#\\\\x\\\x01y;\n"
                              "a: ;\nb: ?;\nc: |, ,;\n";
    auto theirs =
        qmtest::run({debian_setforward, d / "theirs.cdb", d / "theirs.tmp"}, {.stdin_data = input});
    auto ours = qmtest::run({qmtest::bin("setforward"), d / "ours.cdb", d / "ours.tmp"},
                            {.stdin_data = input});
    REQUIRE(theirs.exit_code == 0);
    REQUIRE(ours.exit_code == 0);
    CHECK(cdb_dump(d / "ours.cdb") == cdb_dump(d / "theirs.cdb"));
    CHECK(qmtest::slurp(d / "ours.cdb") == qmtest::slurp(d / "theirs.cdb"));

    auto their_print_of_ours = reading(debian_printforward, d / "ours.cdb");
    auto our_print_of_theirs = reading(qmtest::bin("printforward"), d / "theirs.cdb");
    REQUIRE(their_print_of_ours.exit_code == 0);
    REQUIRE(our_print_of_theirs.exit_code == 0);
    CHECK(their_print_of_ours.out == our_print_of_theirs.out);
    CHECK(their_print_of_ours.out.find("weird\\:\\,\\;\\#\\\\x\\\x01y") != std::string::npos);

    // Errors: same refusals, same exit code.
    for (auto bad : {"a@b: x@y", "a@b x@y;", "a@b:: x;"}) {
        auto t = qmtest::run({debian_setforward, d / "e.cdb", d / "e.tmp"}, {.stdin_data = bad});
        auto o =
            qmtest::run({qmtest::bin("setforward"), d / "e.cdb", d / "e.tmp"}, {.stdin_data = bad});
        INFO(bad);
        CHECK(o.exit_code == t.exit_code);
        CHECK(o.err == t.err);
        CHECK_FALSE(fs::exists(d / "e.cdb"));
    }
}

TEST_CASE("setmaillist: identical lists, each printmaillist reads the other's",
          "[scenario][forward][compat]") {
    require_debian_packages();
    qmtest::TempDir d;
    const std::string input = "god@heaven.af.mil\n&djb@x\n# c\n\n/etc/l/more.bin\n./rel\n"
                              "Bob@Example.COM  \t\n|prog\nbad line\n  lead\n";
    REQUIRE(qmtest::run({debian_setmaillist, d / "t.bin", d / "t.tmp"}, {.stdin_data = input})
                .exit_code == 0);
    REQUIRE(
        qmtest::run({qmtest::bin("setmaillist"), d / "o.bin", d / "o.tmp"}, {.stdin_data = input})
            .exit_code == 0);
    CHECK(qmtest::slurp(d / "o.bin") == qmtest::slurp(d / "t.bin"));
    auto a = reading(debian_printmaillist, d / "o.bin");
    auto b = reading(qmtest::bin("printmaillist"), d / "t.bin");
    CHECK(a.exit_code == 0);
    CHECK(a.out == b.out);
}

TEST_CASE("newaliases: Debian's and ours compile the same aliases file identically",
          "[scenario][forward][compat]") {
    if (!namespace_test_can_run("no mount namespaces (not root): Debian newaliases comparison"))
        return;
    qmtest::MailRoot root;
    controls(root);
    qmtest::TempDir etc;
    auto theirs = debian_newaliases_of_corpus(root, etc);
    INFO(theirs.err);
    REQUIRE(theirs.exit_code == 0);
    REQUIRE(fs::exists(etc / "aliases.cdb"));
    fs::rename(etc / "aliases.cdb", etc / "theirs.cdb");
    auto ours = root.run({qmtest::bin("newaliases"), "-f", etc / "aliases"});
    INFO(ours.err);
    REQUIRE(ours.exit_code == 0);
    std::string dump = cdb_dump(etc / "aliases.cdb");
    CHECK(dump == cdb_dump(etc / "theirs.cdb"));
    CHECK(qmtest::slurp(etc / "aliases.cdb") == qmtest::slurp(etc / "theirs.cdb"));
    CHECK(dump.find("+18,63::all@ourdomain.com->&contractors@mail.yp.to") != std::string::npos);

    // Both refuse what 0.51 refuses (our message adds file and line).
    struct Bad {
        std::string line, their_err;
    } bad[] = {
        {"f: /var/mail/f", "file delivery /var/mail/f not supported"},
        {"f:", "unable to parse this line: f:\n"}, // 0.51 prints the newline too
        {"a: :include:", "empty :include: filenames not permitted"},
        {"a: <>", "empty recipient addresses not permitted"},
    };
    for (const auto& b : bad) {
        qmtest::spit(etc / "aliases", "ok: x\n" + b.line + "\n");
        auto t = in_namespace(root, etc.path(), {debian_newaliases}, {});
        auto o = root.run({qmtest::bin("newaliases"), "-f", etc / "aliases"});
        INFO(b.line);
        CHECK(t.err == "newaliases: fatal: " + b.their_err + "\n");
        CHECK(o.err.find(etc / "aliases:2: ") != std::string::npos);
        CHECK(o.exit_code != 0);
        CHECK(t.exit_code != 0);
        CHECK(cdb_dump(etc / "aliases.cdb") == dump); // the old table stays
    }
}

TEST_CASE("Debian's fastforward reads our table and injects through our qmail-queue",
          "[scenario][forward][compat]") {
    if (!namespace_test_can_run("no mount namespaces (not root): Debian fastforward injection"))
        return;
    qmtest::MailRoot root;
    controls(root);
    REQUIRE(fs::exists(root / "bin/qmail-queue")); // installed by qmail-install
    std::string aliases = root / "alias/aliases";
    qmtest::spit(aliases, "all@ourdomain.com: staff, managers, contractors\n"
                          "staff: alice, bob@ourdomain.com\n"
                          "owner-staff: hr@ourdomain.com\n"
                          "loop1: loop2\nloop2: loop1\n");
    root.give_to_user(root / "alias");
    REQUIRE(root.run({qmtest::bin("newaliases"), "-f", aliases}).exit_code == 0);

    std::map<std::string, std::string> env = {{"SENDER", "ceo@ext.org"},
                                              {"DEFAULT", "all"},
                                              {"HOST", "ourdomain.com"},
                                              {"DTLINE", "Delivered-To: alias-all@yp.to\n"}};
    auto dry = in_namespace(root, "", {debian_fastforward, "-nd", aliases + ".cdb"}, {.env = env});
    auto our_dry = root.run({qmtest::bin("fastforward"), "-nd", aliases + ".cdb"}, {.env = env});
    CHECK(dry.exit_code == 0);
    CHECK(dry.err == our_dry.err);
    // newaliases stores recipients last first and fastforward reverses them again on
    // output, so the copy lists them last first too; both implementations agree.
    CHECK(dry.err == "from <ceo@ext.org>\nto <contractors@mail.yp.to>\n"
                     "to <managers@mail.yp.to>\nto <staff@mail.yp.to>\n");

    auto r = in_namespace(root, "", {debian_fastforward, "-d", aliases + ".cdb"},
                          {.stdin_data = "Subject: all hands\n\nhello\n", .env = env});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.rfind("fastforward: qp ", 0) == 0);
    auto todo = qmtest::list_dir(root / "queue/todo");
    REQUIRE(todo.size() == 1);
    auto envelope = qmtest::slurp(root / ("queue/todo/" + todo[0]));
    CHECK(envelope.find("\0Fceo@ext.org\0Tcontractors@mail.yp.to\0Tmanagers@mail.yp.to\0"
                        "Tstaff@mail.yp.to\0"s) != std::string::npos);
    auto mess = qmtest::slurp(
        root / ("queue/mess/" + std::to_string(std::stoul(todo[0]) % 23) + "/" + todo[0]));
    CHECK(mess.find("\nDelivered-To: alias-all@yp.to\nSubject: all hands\n\nhello\n") !=
          std::string::npos);

    // The staff list has an owner: fastforward uses it as sender. Aliases that name each
    // other are qualified (loop2@mail.yp.to), so the table does not loop; the loop goes
    // round deliveries and qmail-local's Delivered-To check ends it (end-to-end test).
    env["DEFAULT"] = "staff";
    auto staff =
        in_namespace(root, "", {debian_fastforward, "-nd", aliases + ".cdb"}, {.env = env});
    CHECK(staff.err ==
          root.run({qmtest::bin("fastforward"), "-nd", aliases + ".cdb"}, {.env = env}).err);
    CHECK(staff.err.find("from <owner-staff@mail.yp.to>\n") == 0);
    env["DEFAULT"] = "loop1";
    auto loop = in_namespace(root, "", {debian_fastforward, "-nd", aliases + ".cdb"}, {.env = env});
    CHECK(loop.err == "from <ceo@ext.org>\nto <loop2@mail.yp.to>\n");
    CHECK(root.run({qmtest::bin("fastforward"), "-nd", aliases + ".cdb"}, {.env = env}).err ==
          loop.err);
}

TEST_CASE("our printforward reads Debian's newaliases output, theirs reads ours",
          "[scenario][forward][compat]") {
    if (!namespace_test_can_run("no mount namespaces (not root)"))
        return;
    qmtest::MailRoot root;
    controls(root);
    qmtest::TempDir etc;
    REQUIRE(debian_newaliases_of_corpus(root, etc).exit_code == 0);
    auto ours = reading(qmtest::bin("printforward"), etc / "aliases.cdb");
    auto theirs = reading(debian_printforward, etc / "aliases.cdb");
    REQUIRE(ours.exit_code == 0);
    CHECK(ours.out == theirs.out);
    CHECK(ours.out.find("weather@:\n, !weather-server\\ --city\\ x\n;\n") != std::string::npos);
    // And through a pipe, which tinycdb cannot map directly.
    auto piped = qmtest::run(
        {"/bin/sh", "-c", "cat " + etc / "aliases.cdb" + " | " + qmtest::bin("printforward")});
    CHECK(piped.out == ours.out);
}

TEST_CASE("Debian's dot-forward reads the same .forward and injects through our qmail-queue",
          "[scenario][forward][compat]") {
    if (!namespace_test_can_run("no mount namespaces (not root)"))
        return;
    qmtest::MailRoot root;
    controls(root);
    REQUIRE(fs::exists(root / "bin/qmail-queue")); // installed by qmail-install
    std::string home = root / "alias";
    qmtest::spit(home + "/.forward", "# mine\nalice, Bob <bob@x.org>\n\\bob\n");
    root.give_to_user(home);
    std::map<std::string, std::string> env = {{"USER", "bob"},
                                              {"HOST", "yp.to"},
                                              {"NEWSENDER", "s@ext.org"},
                                              {"DTLINE", "Delivered-To: bob@yp.to\n"}};
    auto theirs_n =
        in_namespace(root, "", {debian_dot_forward, "-n", ".forward"}, {.env = env, .cwd = home});
    auto ours_n =
        root.run({qmtest::bin("dot-forward"), "-n", ".forward"}, {.env = env, .cwd = home});
    CHECK(theirs_n.err == "forward bob@x.org\nforward alice@mail.yp.to\ndirect delivery\n");
    CHECK(ours_n.err == theirs_n.err);
    CHECK(ours_n.exit_code == theirs_n.exit_code);

    auto r = in_namespace(root, "", {debian_dot_forward, ".forward"},
                          {.stdin_data = "Subject: x\n\nbody\n", .env = env, .cwd = home});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    auto todo = qmtest::list_dir(root / "queue/todo");
    REQUIRE(todo.size() == 1);
    CHECK(qmtest::slurp(root / ("queue/todo/" + todo[0]))
              .find("\0Fs@ext.org\0Tbob@x.org\0Talice@mail.yp.to\0"s) != std::string::npos);
}

TEST_CASE("Debian's fastforward in ~alias/.qmail-default under our qmail-send",
          "[scenario][forward][compat][e2e]") {
    if (!namespace_test_can_run("no mount namespaces (not root)"))
        return;
    qmtest::MailRoot root;
    for (auto u : {"alice", "bob", "carol"})
        root.add_user(u);
    const std::string alias = root / "alias";
    qmtest::spit(alias + "/aliases", "all: staff, carol\nstaff: alice, bob\n");
    qmtest::spit(alias + "/.qmail-default",
                 "| " + std::string(debian_fastforward) + " -d " + alias + "/aliases.cdb\n");
    root.give_to_user(alias);
    REQUIRE(root.run({qmtest::bin("newaliases"), "-f", alias + "/aliases"}).exit_code == 0);
    // qmail-send, qmail-local and their fastforward all see our root as /var/lib/qmail.
    qmtest::Daemon send(namespace_argv(root, "", {qmtest::bin("qmail-send"), "./Maildir/"}),
                        {.env = root.env()}, root / "send.log");
    REQUIRE(
        qmtest::wait_for([&] { return send.log().find("status: local") != std::string::npos; }));
    auto r = root.run({qmtest::bin("qmail-queue")},
                      {.stdin_data = "Subject: via 0.51\n\nhi\n",
                       .fd1_input = "Fceo@far.example\0Tall@test.example\0\0"s});
    REQUIRE(r.exit_code == 0);
    for (auto u : {"alice", "bob", "carol"}) {
        INFO(u);
        std::string dir = root / ("users/"s + u + "/Maildir/new");
        REQUIRE(qmtest::wait_for([&] { return qmtest::list_dir(dir).size() == 1; }));
        auto msg = qmtest::slurp(dir + "/" + qmtest::list_dir(dir)[0]);
        CHECK(msg.find("Delivered-To: all@test.example\n") != std::string::npos);
        CHECK(msg.ends_with("Subject: via 0.51\n\nhi\n"));
    }
    INFO(send.log());
    // qmail-send logs the program's report with spaces as underscores.
    CHECK(send.log().find("success: fastforward:_qp_") != std::string::npos);
}

TEST_CASE("newinclude: Debian's and ours write identical lists", "[scenario][forward][compat]") {
    if (!namespace_test_can_run("no mount namespaces (not root)"))
        return;
    qmtest::MailRoot root;
    controls(root);
    const std::string list = root / "alias/staff";
    const std::string text = "alice, bob@x (Bob)\n# comment\nBob Jones <bj@y>\n"
                             ":include:/etc/more\n  cont: x\nq: :include: rel\n"
                             "b, :include:/x, c, \"spaced out\"@h+\n";
    qmtest::spit(list, text);
    root.give_to_user(root / "alias");
    auto theirs = in_namespace(root, "", {"/usr/bin/newinclude", list}, {});
    INFO(theirs.err);
    REQUIRE(theirs.exit_code == 0);
    const std::string their_bin = qmtest::slurp(list + ".bin");
    fs::remove(list + ".bin");
    auto ours = root.run({qmtest::bin("newinclude"), list});
    INFO(ours.err);
    REQUIRE(ours.exit_code == 0);
    CHECK(qmtest::slurp(list + ".bin") == their_bin);
    CHECK(their_bin.find("&spaced out@h.pd.yp.to\0"s) != std::string::npos);
}

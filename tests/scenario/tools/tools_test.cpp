// End-to-end tests of qmail's small tools against a real mail root: maildirmake,
// maildir2mbox, maildirwatch, qmail-qread, qmail-qstat, qmail-showctl, preline, bouncesaying,
// condredirect and forward.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <regex>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

std::string split_of(const std::string& id) {
    return std::to_string(std::stoul(id) % 23);
}

// Writes a message to a file in the root and runs the program with it as a seekable
// stdin (qmail-local gives delivery programs a file, not a pipe).
qmtest::RunResult run_with_file_stdin(const qmtest::MailRoot& root, const std::string& message,
                                      std::vector<std::string> argv,
                                      std::map<std::string, std::string> env) {
    const std::string file = root / "message.in";
    qmtest::spit(file, message);
    root.give_to_user(file);
    std::vector<std::string> full = {"/bin/sh", "-c", "exec \"$@\" <\"$0\"", file};
    full.insert(full.end(), argv.begin(), argv.end());
    return root.run(full, {.env = std::move(env)});
}

struct Queued {
    std::string id, envelope, message;
};
std::vector<Queued> queued(const qmtest::MailRoot& root) {
    std::vector<Queued> out;
    for (const auto& id : qmtest::list_dir(root / "queue/todo"))
        out.push_back({id, qmtest::slurp(root / ("queue/todo/" + id)),
                       qmtest::slurp(root / ("queue/mess/" + split_of(id) + "/" + id))});
    return out;
}

std::map<std::string, std::string> without(std::map<std::string, std::string> env,
                                           const std::string& name) {
    env.erase(name);
    return env;
}

// What follows qmail-queue's Received line.
std::string after_received(const std::string& mess) {
    REQUIRE(mess.rfind("Received: (qmail ", 0) == 0);
    return mess.substr(mess.find('\n') + 1);
}

} // namespace

TEST_CASE("maildirmake creates a private maildir once", "[scenario][tools][maildirmake]") {
    qmtest::MailRoot root;
    const std::string dir = root / "users/Maildir";
    auto r = root.run({qmtest::bin("maildirmake"), dir});
    REQUIRE(r.exit_code == 0);
    for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
        struct stat st {};
        REQUIRE(::stat((dir + sub).c_str(), &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        CHECK((st.st_mode & 07777) == 0700);
        if (auto u = root.user())
            CHECK(st.st_uid == u->uid);
    }
    auto again = root.run({qmtest::bin("maildirmake"), dir});
    CHECK(again.exit_code == 111);
    CHECK(again.err.find("maildirmake: fatal: unable to mkdir " + dir) != std::string::npos);
    CHECK(root.run({qmtest::bin("maildirmake")}).exit_code == 100);
    auto help = root.run({qmtest::bin("maildirmake"), "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("usage: maildirmake DIR") != std::string::npos);
}

TEST_CASE("qmail-qread and qmail-qstat on an empty queue", "[scenario][tools][qread]") {
    qmtest::MailRoot root;
    auto read = root.run({qmtest::bin("qmail-qread")});
    CHECK(read.exit_code == 0);
    CHECK(read.out.empty());
    auto stat = root.run({qmtest::bin("qmail-qstat")});
    CHECK(stat.exit_code == 0);
    CHECK(stat.out == "messages in queue: 0\nmessages in queue but not yet preprocessed: 0\n");
}

TEST_CASE("qmail-qread shows messages qmail-queue just queued", "[scenario][tools][qread]") {
    qmtest::MailRoot root;
    root.control("virtualdomains", "virt.example:virt\n");
    for (const auto& env :
         {"Fjoe@a.example\0Tbob@test.example\0Tann@b.example\0\0"s, "F\0Tcy@virt.example\0\0"s}) {
        auto q = root.run({qmtest::bin("qmail-queue")},
                          {.stdin_data = "Subject: hi\n\nbody\n", .fd1_input = env});
        REQUIRE(q.exit_code == 0);
    }
    auto stat = root.run({qmtest::bin("qmail-qstat")});
    CHECK(stat.exit_code == 0);
    CHECK(stat.out == "messages in queue: 2\nmessages in queue but not yet preprocessed: 2\n");

    auto read = root.run({qmtest::bin("qmail-qread")});
    REQUIRE(read.exit_code == 0);
    std::string expected;
    auto ids = qmtest::list_dir(root / "queue/todo");
    std::sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) {
        return std::stoul(a) < std::stoul(b);
    });
    for (const auto& id : ids) {
        auto size = fs::file_size(root / ("queue/mess/" + split_of(id) + "/" + id));
        auto env = qmtest::slurp(root / ("queue/todo/" + id));
        bool first = env.find("Fjoe@a.example") != std::string::npos;
        expected +=
            "DATE GMT  #" + id + "  " + std::to_string(size) +
            (first ? "  <joe@a.example> \n\tlocal\tbob@test.example\n\tremote\tann@b.example\n"
                   : "  <> \n\tlocal\tvirt-cy@virt.example\n");
    }
    std::regex date(R"(\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT)");
    CHECK(std::regex_replace(read.out, date, "DATE GMT") == expected);
}

TEST_CASE("qmail-qread shows preprocessed messages, done recipients and bounces",
          "[scenario][tools][qread]") {
    qmtest::MailRoot root;
    const std::string q = root / "queue";
    // Message 100 (split 8): one local recipient done, one pending; one remote pending.
    qmtest::spit(q + "/mess/8/100", "Subject: x\n\n12345\n");
    qmtest::spit(q + "/info/8/100", "Fjoe@a.example\0"s);
    qmtest::spit(q + "/local/8/100", "Dbob@test.example\0Tcy@test.example\0"s);
    qmtest::spit(q + "/remote/8/100", "Tann@b.example\0"s);
    qmtest::spit(q + "/bounce/100", "");
    // Message 47 (split 1): a bounce with a remote recipient only.
    qmtest::spit(q + "/mess/1/47", "x");
    qmtest::spit(q + "/info/1/47", "F\0"s);
    qmtest::spit(q + "/remote/1/47", "Tjoe@a.example\0"s);
    // qmail-send has written info/8/100 but not yet removed todo/100: shown once, from info.
    qmtest::spit(q + "/todo/100", "u0\0p1\0Fother@x.example\0Tz@y.example\0"s);
    // Message 5: its info survived but its message did not.
    qmtest::spit(q + "/info/5/5", "Fx@y\0"s);
    struct utimbuf t {
        812090814, 812090814
    }; // 26 Sep 1995 04:46:54 GMT
    ::utime((q + "/info/8/100").c_str(), &t);
    t = {0, 0};
    ::utime((q + "/info/1/47").c_str(), &t);
    root.give_to_user(q);

    auto read = root.run({qmtest::bin("qmail-qread")});
    REQUIRE(read.exit_code == 0);
    CHECK(read.out == "warning: trouble with #5: No such file or directory\n"
                      "1 Jan 1970 00:00:00 GMT  #47  1  <> \n"
                      "\tremote\tjoe@a.example\n"
                      "26 Sep 1995 04:46:54 GMT  #100  18  <joe@a.example>  bouncing\n"
                      "  done\tlocal\tbob@test.example\n"
                      "\tlocal\tcy@test.example\n"
                      "\tremote\tann@b.example\n");
    auto stat = root.run({qmtest::bin("qmail-qstat")});
    CHECK(stat.out == "messages in queue: 2\nmessages in queue but not yet preprocessed: 1\n");
}

TEST_CASE("qmail-qread and qmail-qstat fail temporarily without a queue",
          "[scenario][tools][qread]") {
    qmtest::MailRoot root;
    fs::remove_all(root / "queue/info");
    fs::remove_all(root / "queue/mess");
    auto read = root.run({qmtest::bin("qmail-qread")});
    CHECK(read.exit_code == 111);
    CHECK(read.out.rfind("fatal: unable to opendir ", 0) == 0);
    auto stat = root.run({qmtest::bin("qmail-qstat")});
    CHECK(stat.exit_code == 111);
}

TEST_CASE("preline prepends UFLINE RPLINE DTLINE", "[scenario][tools][preline]") {
    qmtest::MailRoot root;
    const std::map<std::string, std::string> env = {
        {"UFLINE", "From joe@a.example Thu Jan  1 00:00:00 1970\n"},
        {"RPLINE", "Return-Path: <joe@a.example>\n"},
        {"DTLINE", "Delivered-To: bob@test.example\n"}};
    const std::string msg = "Subject: hi\n\nbody\n";
    auto all = root.run({qmtest::bin("preline"), "cat"}, {.stdin_data = msg, .env = env});
    CHECK(all.exit_code == 0);
    CHECK(all.out == "From joe@a.example Thu Jan  1 00:00:00 1970\n"
                     "Return-Path: <joe@a.example>\n"
                     "Delivered-To: bob@test.example\n" +
                         msg);
    auto some =
        root.run({qmtest::bin("preline"), "-fd", "cat", "-"}, {.stdin_data = msg, .env = env});
    CHECK(some.exit_code == 0);
    CHECK(some.out == "Return-Path: <joe@a.example>\n" + msg);

    // The command's exit code passes through, even when it does not read everything.
    std::string big(300000, 'x');
    auto code =
        root.run({qmtest::bin("preline"), "sh", "-c", "exit 37"}, {.stdin_data = big, .env = env});
    CHECK(code.exit_code == 37);
    auto crash = root.run({qmtest::bin("preline"), "sh", "-c", "kill -SEGV $$"},
                          {.stdin_data = msg, .env = env});
    CHECK(crash.exit_code == 111);
    auto missing =
        root.run({qmtest::bin("preline"), "/nonexistent/prog"}, {.stdin_data = msg, .env = env});
    CHECK(missing.exit_code == 100);
    CHECK(missing.err.find("preline: fatal: unable to run /nonexistent/prog") != std::string::npos);

    auto noenv = root.run({qmtest::bin("preline"), "cat"},
                          {.stdin_data = msg, .env = without(env, "DTLINE")});
    CHECK(noenv.exit_code == 100);
    CHECK(root.run({qmtest::bin("preline")}, {.env = env}).exit_code == 100);
}

TEST_CASE("bouncesaying exit codes", "[scenario][tools][bouncesaying]") {
    qmtest::MailRoot root;
    auto bs = qmtest::bin("bouncesaying");
    auto plain = root.run({bs, "Sorry, no mail here."});
    CHECK(plain.exit_code == 100);
    CHECK(plain.err == "Sorry, no mail here.\n");
    CHECK(root.run({bs}).exit_code == 100);

    const std::string msg = "Subject: buy SPAM\n\nbody\n";
    auto matched = root.run({bs, "No spam.", "grep", "-q", "SPAM"}, {.stdin_data = msg});
    CHECK(matched.exit_code == 100);
    CHECK(matched.err == "No spam.\n");
    auto other = root.run({bs, "No spam.", "grep", "-q", "HAM"}, {.stdin_data = msg});
    CHECK(other.exit_code == 0);
    CHECK(other.err.empty());
    auto soft = root.run({bs, "x", "sh", "-c", "exit 111"});
    CHECK(soft.exit_code == 111);
    CHECK(soft.err == "bouncesaying: fatal: temporary child error\n");
    CHECK(root.run({bs, "x", "sh", "-c", "exit 100"}).exit_code == 0);
    CHECK(root.run({bs, "x", "sh", "-c", "kill -SEGV $$"}).exit_code == 111);
}

TEST_CASE("condredirect forwards when the program says so", "[scenario][tools][condredirect]") {
    qmtest::MailRoot root;
    const std::string msg = "Subject: urgent\n\nplease\n";
    const std::map<std::string, std::string> env = {{"SENDER", "joe@a.example"},
                                                    {"NEWSENDER", "ignored@a.example"},
                                                    {"DTLINE", "Delivered-To: bob@test.example\n"}};
    auto cr = qmtest::bin("condredirect");

    auto no = run_with_file_stdin(root, msg, {cr, "boss@b.example", "grep", "-q", "nothing"}, env);
    CHECK(no.exit_code == 0);
    CHECK(queued(root).empty());

    auto yes = run_with_file_stdin(root, msg, {cr, "boss@b.example", "grep", "-q", "urgent"}, env);
    CHECK(yes.exit_code == 99);
    std::smatch m;
    REQUIRE(std::regex_match(yes.err, m, std::regex("condredirect: qp ([0-9]+)\n")));
    auto q = queued(root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].envelope.find("\0Fjoe@a.example\0Tboss@b.example\0"s) != std::string::npos);
    CHECK(q[0].envelope.ends_with("Tboss@b.example\0"s));
    CHECK(after_received(q[0].message) == "Delivered-To: bob@test.example\n" + msg);
    CHECK(q[0].envelope.find("\0p" + m[1].str() + "\0"s) != std::string::npos);

    auto soft = run_with_file_stdin(root, msg, {cr, "boss@b.example", "sh", "-c", "exit 111"}, env);
    CHECK(soft.exit_code == 111);
    auto nosender_file =
        run_with_file_stdin(root, msg, {"env", "-u", "SENDER", cr, "x@y", "true"}, env);
    CHECK(nosender_file.exit_code == 100);
    CHECK(nosender_file.err == "condredirect: fatal: SENDER not set\n");
    auto pipe = root.run({cr, "boss@b.example", "true"}, {.stdin_data = msg, .env = env});
    CHECK(pipe.exit_code == 111);
    CHECK(pipe.err.find("unable to rewind") != std::string::npos);
    CHECK(queued(root).size() == 1);
    CHECK(root.run({cr, "only-address"}).exit_code == 100);
}

TEST_CASE("forward queues the message with DTLINE and NEWSENDER", "[scenario][tools][forward]") {
    qmtest::MailRoot root;
    const std::string msg = "Subject: fwd\n\nbody\n";
    const std::map<std::string, std::string> env = {
        {"SENDER", "joe@a.example"},
        {"NEWSENDER", "list-owner@test.example"},
        {"DTLINE", "Delivered-To: list@test.example\n"}};
    auto fw = qmtest::bin("forward");
    auto r = root.run({fw, "a@b.example", "c@d.example"}, {.stdin_data = msg, .env = env});
    CHECK(r.exit_code == 0);
    CHECK(std::regex_match(r.err, std::regex("forward: qp [0-9]+\n")));
    auto q = queued(root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].envelope.ends_with("\0Flist-owner@test.example\0Ta@b.example\0Tc@d.example\0"s));
    CHECK(after_received(q[0].message) == "Delivered-To: list@test.example\n" + msg);

    auto nosender =
        root.run({fw, "a@b.example"}, {.stdin_data = msg, .env = without(env, "NEWSENDER")});
    CHECK(nosender.exit_code == 100);
    CHECK(nosender.err == "forward: fatal: NEWSENDER not set\n");
    auto nodt = root.run({fw, "a@b.example"}, {.stdin_data = msg, .env = without(env, "DTLINE")});
    CHECK(nodt.exit_code == 100);

    // The queue's verdict decides: permanent refusal 100, temporary trouble 111.
    for (auto [qq_exit, want] : {std::pair{31, 100}, std::pair{71, 111}, std::pair{53, 111}}) {
        const std::string fake = root / ("fake-qq-" + std::to_string(qq_exit));
        qmtest::spit(fake, "#!/bin/sh\ncat >/dev/null\nexit " + std::to_string(qq_exit) + "\n",
                     0755);
        root.give_to_user(fake);
        auto env2 = env;
        env2["QMAILQUEUE"] = fake;
        auto f = root.run({fw, "a@b.example"}, {.stdin_data = msg, .env = env2});
        CHECK(f.exit_code == want);
        CHECK(f.err.rfind("forward: fatal: ", 0) == 0);
    }
    CHECK(queued(root).size() == 1);
}

TEST_CASE("every tool answers --help", "[scenario][tools]") {
    for (const char* p :
         {"maildirmake", "maildir2mbox", "qmail-qread", "qmail-qstat", "qmail-showctl", "preline",
          "splogger", "bouncesaying", "condredirect", "forward"}) {
        auto r = qmtest::run({qmtest::bin(p), "--help"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("usage: ") == 0);
    }
}

TEST_CASE("qmail-showctl shows each control file in qmail's words - values, defaults, strays",
          "[scenario][tools][showctl]") {
    qmtest::MailRoot root;
    // MailRoot's own controls (me, ...) are rewritten here; each expected line below is
    // what notqmail's qmail-showctl (a7012e4) printed for the same directory.
    for (const auto& f : qmtest::list_dir(root / "control"))
        fs::remove(root / ("control/" + f));
    root.control("me", "mx.test.example\n");
    root.control("locals", "test.example\nlocalhost\n");
    root.control("rcpthosts", "test.example\n# comment\n\n.sub.test.example\n");
    root.control("concurrencyremote", "50\n");
    root.control("smtproutes", "remote.example:relay.example:2525\n:smart.example\n");
    root.control("smtpgreeting", "x\xe9y\n");
    root.control("queuelifetime", "3600\n");
    root.control("frobnicate", "hello\n");
    auto r = root.run({qmtest::bin("qmail-showctl")});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.starts_with("qmail home directory: " + root.home() +
                            ".\nuser-ext delimiter: -.\npaternalism (in decimal): 2.\n"
                            "silent concurrency limit: 120.\nsubdirectory split: 23.\n"));
    CHECK(std::regex_search(r.out, std::regex("\nuser ids: ([0-9]+|none)(, ([0-9]+|none)){7}\\.\n"
                                              "group ids: ([0-9]+|none), ([0-9]+|none)\\.\n\n")));
    for (const char* part : {
             "\nbadmailfrom: (Default.) Any MAIL FROM is allowed.\n",
             "\nbouncehost: (Default.) Bounce host name is mx.test.example.\n",
             "\nconcurrencylocal: (Default.) Local concurrency is 10.\n",
             "\nconcurrencyremote: Remote concurrency is 50.\n",
             "\ndatabytes: (Default.) SMTP DATA limit is 0 bytes.\n",
             "\ndoublebounceto: (Default.) 2B recipient user: postmaster.\n",
             "\nlocals: \nMessages for test.example are delivered locally.\n"
             "Messages for localhost are delivered locally.\n",
             "\nme: My name is mx.test.example.\n",
             "\nqueuelifetime: Message lifetime in the queue is 3600 seconds.\n",
             "\nrcpthosts: \nSMTP clients may send messages to recipients at test.example.\n"
             "SMTP clients may send messages to recipients at .sub.test.example.\n",
             "\nmorercpthosts: (Default.) No effect.\n",
             "\nmorercpthosts.cdb: (Default.) No effect.\n",
             "\nsmtpgreeting: SMTP greeting: 220 x?y.\n",
             "\nsmtproutes: \nSMTP route: remote.example:relay.example:2525\n"
             "SMTP route: :smart.example\n",
             "\ntimeoutsmtpd: (Default.) SMTP server data timeout is 1200 seconds.\n",
             "\nvirtualdomains: (Default.) No virtual domains.\n",
             // This platform's own, after qmail's.
             "\njournal: (Default.) Queue journal",
             "\nqmtproutes: (Default.) No artificial QMTP routes.\n",
             "\nservercert.pem: (Default.) No STARTTLS or STLS offered.\n",
             "\nfrobnicate: I have no idea what this file does.\n",
         }) {
        INFO(part);
        CHECK(r.out.find(part) != std::string::npos);
    }
    CHECK(r.out.find("virtualdomains:") < r.out.find("dnsservers:"));
    CHECK(r.out.ends_with("\nfrobnicate: I have no idea what this file does.\n"));

    // Where ours differs from qmail's, on purpose (qmail-showctl(8)).
    fs::remove(root / "control/rcpthosts");
    root.control("databytes", "lots\n");
    auto d = root.run({qmtest::bin("qmail-showctl")});
    CHECK(d.out.find("\nrcpthosts: (Default.) SMTP clients may send messages to recipients that "
                     "are delivered here (locals, virtualdomains).\n") != std::string::npos);
    CHECK(d.out.find("\nmorercpthosts: (Default.) No rcpthosts; morercpthosts is irrelevant.\n") !=
          std::string::npos);
    CHECK(d.out.find("\ndatabytes: Oops! Not a number (lots): the programs that read this file "
                     "stop with an error.\n") != std::string::npos);

    // No control directory: exit 111.
    fs::rename(root / "control", root / "control.away");
    auto none = root.run({qmtest::bin("qmail-showctl")});
    CHECK(none.exit_code == 111);
    CHECK(none.out.find("Oops! Unable to open ") != std::string::npos);
    fs::rename(root / "control.away", root / "control");
}

TEST_CASE("maildir2mbox moves a maildir into an mbox as qmail does - mutt reads it",
          "[scenario][tools][maildir2mbox]") {
    qmtest::TempDir dir;
    const std::string maildir = dir / "Maildir";
    REQUIRE(qmtest::run({qmtest::bin("maildirmake"), maildir}).exit_code == 0);
    // Each at a time of its own (maildir2mbox orders by mtime and dates the From_ line
    // with it). The expected mbox is what notqmail's maildir2mbox (a7012e4) wrote for the
    // same files, but for the last line without a newline, which qmail drops.
    struct File {
        const char* name;
        const char* text;
        int day;
    };
    const File files[] = {
        {"new/1000000002.M1P1.h",
         "Return-Path: <ann@example.org>\nSubject: one\n\n"
         "From the top\n>From quoted\n",
         2},
        {"cur/1000000001.M2P2.h:2,S", "Return-Path: <>\nSubject: bounce\n\nno newline", 1},
        {"new/1000000003.M3P3.h", "Subject: none\n\nbody\n", 3},
        {"new/1000000004.M4P4.h", "Return-Path: <a b@x>\nSubject: blank\n\nx\n", 4},
    };
    for (const File& f : files) {
        const std::string path = maildir + "/" + f.name;
        qmtest::spit(path, f.text);
        // 2026-12-0D 10:0D:00 UTC
        const std::time_t t = 1796119200 + (f.day - 1) * 86400 + f.day * 60;
        const timespec times[2] = {{t, 0}, {t, 0}};
        REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
    }
    // Changed "this second" as far as maildir2mbox can tell (mtime not before now), for
    // sure: in the future, so that a second passing during the test changes nothing.
    qmtest::spit(maildir + "/new/now.M5P5.h", "Subject: this second\n\nwait\n");
    {
        const std::time_t later = std::time(nullptr) + 3600;
        const timespec times[2] = {{later, 0}, {later, 0}};
        REQUIRE(::utimensat(AT_FDCWD, (maildir + "/new/now.M5P5.h").c_str(), times, 0) == 0);
    }
    const std::string mbox = dir / "mbox";
    qmtest::spit(mbox, "From old@x Thu Jan 01 00:00:00 1970\nSubject: old\n\nold\n\n");
    auto r =
        qmtest::run({qmtest::bin("maildir2mbox")},
                    {.env = {{"MAILDIR", maildir}, {"MAIL", mbox}, {"MAILTMP", mbox + ".tmp"}}});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(qmtest::slurp(mbox) == "From old@x Thu Jan 01 00:00:00 1970\nSubject: old\n\nold\n\n"
                                 "From MAILER-DAEMON Tue Dec 01 10:01:00 2026\nReturn-Path: <>\n"
                                 "Subject: bounce\n\nno newline\n\n"
                                 "From ann@example.org Wed Dec 02 10:02:00 2026\n"
                                 "Return-Path: <ann@example.org>\nSubject: one\n\n"
                                 ">From the top\n>>From quoted\n\n"
                                 "From XXX Thu Dec 03 10:03:00 2026\nSubject: none\n\nbody\n\n"
                                 "From a-b@x Fri Dec 04 10:04:00 2026\nReturn-Path: <a b@x>\n"
                                 "Subject: blank\n\nx\n\n");
    CHECK(qmtest::list_dir(maildir + "/cur").empty());
    // Changed this second: left for the next run.
    CHECK(qmtest::list_dir(maildir + "/new") == std::vector<std::string>{"now.M5P5.h"});
    CHECK_FALSE(fs::exists(mbox + ".tmp"));
    CHECK((fs::status(mbox).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
          fs::perms::none);
    qmtest::TempDir scratch;
    CHECK(qmtest::mutt_read(mbox, scratch.path()).size() == 5);

    // Nothing to move: the mbox is left alone; a missing variable is a temporary failure.
    fs::remove(maildir + "/new/now.M5P5.h");
    const auto before = fs::last_write_time(mbox);
    CHECK(qmtest::run({qmtest::bin("maildir2mbox")},
                      {.env = {{"MAILDIR", maildir}, {"MAIL", mbox}, {"MAILTMP", mbox + ".tmp"}}})
              .exit_code == 0);
    CHECK(fs::last_write_time(mbox) == before);
    auto unset =
        qmtest::run({qmtest::bin("maildir2mbox")},
                    {.env = {{"MAILDIR", maildir}, {"MAIL", mbox}}, .unset_env = {"MAILTMP"}});
    CHECK(unset.exit_code == 111);
    CHECK(unset.err == "maildir2mbox: fatal: MAILTMP not set\n");
}

TEST_CASE("splogger reads its input to the end and takes qmail's arguments",
          "[scenario][tools][splogger]") {
    // What reaches syslog is checked by the unit tests (the entries); here the program.
    auto r = qmtest::run({qmtest::bin("splogger"), "qmail", "2"},
                         {.stdin_data = "status: local 0/10 remote 0/20\nwarning: x\nlast"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK(qmtest::run({qmtest::bin("splogger"), "qmail", "mail"}).exit_code == 100);
    CHECK(qmtest::run({qmtest::bin("splogger"), "a", "2", "extra"}).exit_code == 100);
}

TEST_CASE("maildirwatch -1 lists the new messages' From and Subject, oldest first",
          "[scenario][tools][maildirwatch]") {
    qmtest::TempDir dir;
    const std::string maildir = dir / "Maildir";
    REQUIRE(qmtest::run({qmtest::bin("maildirmake"), maildir}).exit_code == 0);
    qmtest::spit(maildir + "/new/2.x", "From: Bob <bob@b.example>\nSubject: second\n\nbody\n");
    qmtest::spit(maildir + "/new/1.x", "subject: first,\n\tfolded\nFROM: ann@a.example\n\n"
                                       "Subject: not a header\n");
    qmtest::spit(maildir + "/new/3.x", "X: y\n\nno fields\n");
    qmtest::spit(maildir + "/cur/0.x:2,S", "From: seen@c.example\nSubject: read\n\n");
    for (const auto& [name, t] : std::vector<std::pair<std::string, std::time_t>>{
             {"1.x", 1000000001}, {"2.x", 1000000002}, {"3.x", 1000000003}}) {
        const timespec times[2] = {{t, 0}, {t, 0}};
        REQUIRE(::utimensat(AT_FDCWD, (maildir + "/new/" + name).c_str(), times, 0) == 0);
    }
    auto r = qmtest::run({qmtest::bin("maildirwatch"), "-1"}, {.env = {{"MAILDIR", maildir}}});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "From: ann@a.example\nSubject: first, folded\n\n"
                   "From: Bob <bob@b.example>\nSubject: second\n\n"
                   "From: (none)\nSubject: (none)\n");
    auto unset = qmtest::run({qmtest::bin("maildirwatch"), "-1"}, {.unset_env = {"MAILDIR"}});
    CHECK(unset.exit_code == 111);
    CHECK(unset.err == "maildirwatch: fatal: MAILDIR not set\n");
    CHECK(qmtest::run({qmtest::bin("maildirwatch"), "-x"}).exit_code == 100);
}

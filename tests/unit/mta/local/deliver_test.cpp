// deliver() in-process, as qmail-send uses it: from many threads at once, fast, and
// deliver_in_child() dropping to the recipient.
#include "qm/cdb.hpp"
#include "qm/fd.hpp"
#include "qm/local/deliver.hpp"
#include "qm/local/users.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace {

struct Fixture {
    qmtest::TempDir dir;
    std::string home = dir / "home";
    qm::UniqueFd message;

    explicit Fixture(const std::string& text = "Subject: hi\n\nbody\n") {
        fs::create_directories(home + "/Maildir/new");
        fs::create_directories(home + "/Maildir/cur");
        fs::create_directories(home + "/Maildir/tmp");
        ::chmod(home.c_str(), 0755);
        qmtest::spit(dir / "msg", text);
        message.reset(::open((dir / "msg").c_str(), O_RDONLY | O_CLOEXEC));
        REQUIRE(message);
    }

    qm::local::Delivery delivery(std::string local, std::string dash = "",
                                 std::string ext = "") const {
        qm::local::Delivery d;
        d.message_fd = message.get();
        d.sender = "sender@example.org";
        d.local = std::move(local);
        d.domain = "test.example";
        d.default_delivery = "./Maildir/";
        d.who.user = "joe";
        d.who.uid = ::geteuid();
        d.who.gid = ::getegid();
        d.who.home = home;
        d.who.dash = std::move(dash);
        d.who.ext = std::move(ext);
        return d;
    }
};

} // namespace

TEST_CASE("deliver() from many threads gives every copy its own maildir file",
          "[local][deliver][slow]") {
    Fixture f;
    // Move the shared offset: deliver() must not depend on it.
    ::lseek(f.message.get(), 5, SEEK_SET);
    constexpr int threads = 8, per_thread = 25;
    std::vector<std::thread> pool;
    std::atomic<int> ok{0};
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                auto r = qm::local::deliver(f.delivery("joe"));
                if (r.kind == qm::Verdict::Kind::success && r.text == "did 1+0+0\n")
                    ++ok;
            }
        });
    for (auto& t : pool)
        t.join();
    CHECK(ok == threads * per_thread);
    auto files = qmtest::list_dir(f.home + "/Maildir/new");
    CHECK(files.size() == threads * per_thread);
    CHECK(qmtest::list_dir(f.home + "/Maildir/tmp").empty());
    CHECK(qmtest::slurp(f.home + "/Maildir/new/" + files.front()) ==
          "Return-Path: <sender@example.org>\nDelivered-To: joe@test.example\n"
          "Subject: hi\n\nbody\n");
}

TEST_CASE("threads appending to one mbox never interleave", "[local][deliver][slow]") {
    Fixture f("Subject: x\n\nFrom here\nline\n");
    qmtest::spit(f.home + "/.qmail-box", "./Mailbox\n");
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t)
        pool.emplace_back([&] {
            for (int i = 0; i < 20; ++i)
                CHECK(qm::local::deliver(f.delivery("joe-box", "-", "box")).kind ==
                      qm::Verdict::Kind::success);
        });
    for (auto& t : pool)
        t.join();
    std::string mbox = qmtest::slurp(f.home + "/Mailbox");
    const std::string one_tail = "Return-Path: <sender@example.org>\n"
                                 "Delivered-To: joe-box@test.example\n"
                                 "Subject: x\n\n>From here\nline\n\n";
    size_t count = 0;
    for (size_t pos = 0; (pos = mbox.find("\nReturn-Path:", pos)) != std::string::npos; ++pos)
        ++count;
    CHECK(count == 80);
    CHECK(mbox.rfind("From sender@example.org ", 0) == 0);
    // Every message is complete and followed by exactly one blank line.
    size_t start = 0, messages = 0;
    while (start < mbox.size()) {
        size_t nl = mbox.find('\n', start);
        REQUIRE(nl != std::string::npos);
        CHECK(mbox.compare(start, 24, "From sender@example.org ") == 0);
        CHECK(mbox.compare(nl + 1, one_tail.size(), one_tail) == 0);
        start = nl + 1 + one_tail.size();
        ++messages;
    }
    CHECK(messages == 80);
}

TEST_CASE("a comment-only .qmail is fast and delivers nowhere", "[local][deliver][slow]") {
    Fixture f;
    qmtest::spit(f.home + "/.qmail-list", "# nothing\n");
    auto d = f.delivery("joe-list", "-", "list");
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 8192; ++i) {
        auto r = qm::local::deliver(d);
        REQUIRE(r.text == "did 0+0+0\n");
    }
    auto took = std::chrono::steady_clock::now() - start;
    // qmail-send's benchmark wants 8,192 of these in well under a second; a loaded
    // shared test machine gets slack, a process spawn per delivery would not fit.
    CHECK(took < std::chrono::seconds(4));
}

TEST_CASE("a report over 3000 bytes ends in qmail's Error report too long line",
          "[local][deliver]") {
    Fixture f;
    // qmail-lspawn's truncreport: output over 3000 bytes is cut to 3000 - 31 - 3 bytes and
    // "\nError report too long, sorry.\n" follows (notqmail spawn.c).
    qmtest::spit(f.home + "/.qmail-long", "|head -c 5000 /dev/zero | tr '\\0' x; echo; exit 100\n");
    auto r = qm::local::deliver(f.delivery("joe-long", "-", "long"));
    CHECK(r.kind == qm::Verdict::Kind::permanent);
    CHECK(r.text == std::string(2966, 'x') + "\nError report too long, sorry.\n");
    // Up to 3000 bytes it stays whole.
    qmtest::spit(f.home + "/.qmail-short", "|head -c 2999 /dev/zero | tr '\\0' y; exit 100\n");
    r = qm::local::deliver(f.delivery("joe-short", "-", "short"));
    CHECK(r.text == std::string(2999, 'y'));
}

// The real qmail-local, with the environment qmail-lspawn gives it.
qm::local::LocalProgram built_qmail_local() {
    qm::local::LocalProgram p = qm::local::local_program();
    p.path = qmtest::bin("qmail-local");
    return p;
}

TEST_CASE("deliver_in_child refuses root and delivers as the recipient", "[local][deliver][slow]") {
    Fixture f;
    auto d = f.delivery("joe");
    d.who.uid = 0;
    auto r = qm::local::deliver_in_child(d, built_qmail_local());
    CHECK(r.kind == qm::Verdict::Kind::temporary);
    CHECK(r.text == "Not allowed to perform deliveries as root.\n");

    auto user = qmtest::unprivileged_test_user();
    if (!user)
        return; // not root: cannot change uid
    ::chown(f.dir.path().c_str(), user->uid, user->gid);
    for (auto& e : fs::recursive_directory_iterator(f.home))
        ::chown(e.path().c_str(), user->uid, user->gid);
    ::chown(f.home.c_str(), user->uid, user->gid);
    qmtest::spit(f.home + "/.qmail-prog", "|id -u\n./Maildir/\n");
    ::chown((f.home + "/.qmail-prog").c_str(), user->uid, user->gid);
    d = f.delivery("joe-prog", "-", "prog");
    d.who.uid = user->uid;
    d.who.gid = user->gid;
    r = qm::local::deliver_in_child(d, built_qmail_local());
    CHECK(r.kind == qm::Verdict::Kind::success);
    CHECK(r.text == std::to_string(user->uid) + "\ndid 1+0+1\n");
    auto files = qmtest::list_dir(f.home + "/Maildir/new");
    REQUIRE(files.size() == 1);
    struct stat st {};
    REQUIRE(::stat((f.home + "/Maildir/new/" + files[0]).c_str(), &st) == 0);
    CHECK(st.st_uid == user->uid);
}

TEST_CASE("deliver_recipient resolves, then delivers as the account", "[local][deliver][slow]") {
    Fixture f;
    qmtest::TempDir root;
    fs::create_directories(root / "users");
    struct EnvGuard {
        std::string old;
        bool had;
        EnvGuard(const std::string& v)
            : had(std::getenv("QMAILHOME") != nullptr) {
            if (had)
                old = std::getenv("QMAILHOME");
            ::setenv("QMAILHOME", v.c_str(), 1);
        }
        ~EnvGuard() {
            if (had)
                ::setenv("QMAILHOME", old.c_str(), 1);
            else
                ::unsetenv("QMAILHOME");
        }
    } guard(root.path());

    qm::local::LocalJob job{f.dir / "msg", "a@b.example", "@test.example", "./Maildir/"};
    auto r = qm::local::deliver_recipient(job);
    CHECK(r.kind == qm::Verdict::Kind::success);
    CHECK(r.text.empty());

    {
        auto w = qm::cdb::Writer::create(root / "users/cdb");
        REQUIRE(w);
        REQUIRE(w->add(std::string("!joe\0", 5), std::string("joe\0"
                                                             "1\0"
                                                             "1\0"
                                                             "/h\0"
                                                             "\0",
                                                             13)));
        REQUIRE(w->commit());
    }
    job.recipient = "joe@test.example";
    r = qm::local::deliver_recipient(job);
    CHECK(r.kind == qm::Verdict::Kind::temporary);
    // The text qmail-send logs and bounces with: the reason and its status code.
    CHECK(r.text == "Trouble reading users/cdb in qmail-lspawn. (#4.3.0)\n");

    const unsigned uid =
        qmtest::unprivileged_test_user() ? qmtest::unprivileged_test_user()->uid : ::geteuid();
    const unsigned gid =
        qmtest::unprivileged_test_user() ? qmtest::unprivileged_test_user()->gid : ::getegid();
    ::chown(f.home.c_str(), uid, gid);
    for (auto& e : fs::recursive_directory_iterator(f.home))
        ::chown(e.path().c_str(), uid, gid);
    qmtest::spit(root / "users/assign", "=joe:joe:" + std::to_string(uid) + ":" +
                                            std::to_string(gid) + ":" + f.home + ":::\n.\n");
    REQUIRE(qm::local::build_users_cdb(root.path()));
    job.recipient = "Joe@test.example";
    const auto program = built_qmail_local();
    job.program = &program;
    r = qm::local::deliver_recipient(job);
    CHECK(r.kind == qm::Verdict::Kind::success);
    CHECK(r.text == "did 1+0+0\n");
    auto files = qmtest::list_dir(f.home + "/Maildir/new");
    REQUIRE(files.size() == 1);
    CHECK(qmtest::slurp(f.home + "/Maildir/new/" + files[0])
              .starts_with("Return-Path: <a@b.example>\nDelivered-To: Joe@test.example\n"));
    struct stat st {};
    REQUIRE(::stat((f.home + "/Maildir/new/" + files[0]).c_str(), &st) == 0);
    CHECK(st.st_uid == uid);

    // The message file is gone (removed under qmail-send): a deferral, nothing delivered.
    job.message_path = f.dir / "no-such-msg";
    r = qm::local::deliver_recipient(job);
    CHECK(r.kind == qm::Verdict::Kind::temporary);
    CHECK(r.text == "Unable to open message file. (#4.3.0)\n");
    CHECK(qmtest::list_dir(f.home + "/Maildir/new").size() == 1);
}

TEST_CASE("deliver_in_child: the delivery process gets its message, its pipe, nothing else",
          "[local][deliver][slow]") {
    auto user = qmtest::unprivileged_test_user();
    if (!user)
        return; // not root: cannot change uid
    Fixture f;
    // Stands in for qmail-local: reports its descriptors, environment, uid and stdin.
    const std::string fake = f.dir / "fake-local";
    qmtest::spit(fake,
                 "#!/bin/sh\n"
                 "ls -l /proc/$$/fd/\n"
                 "env | sort\n"
                 "echo \"uid $(id -u) args $*\"\n"
                 "head -c 7\n"
                 "echo\n"
                 "exit ${FAKE_EXIT:-0}\n",
                 0755);
    // A descriptor of "another delivery", open and inheritable in the caller.
    qm::UniqueFd other(::open((f.dir / "msg").c_str(), O_RDONLY));
    REQUIRE(other);
    auto d = f.delivery("joe-x", "-", "x");
    d.who.uid = user->uid;
    d.who.gid = user->gid;
    qm::local::LocalProgram prog{fake, {"PATH=/usr/bin:/bin", "QMAILHOME=/q"}};
    auto r = qm::local::deliver_in_child(d, prog);
    INFO(r.text);
    CHECK(r.kind == qm::Verdict::Kind::success);
    // ls -l lines: "... N -> target".
    std::map<std::string, std::string> fds;
    std::istringstream lines(r.text);
    for (std::string line; std::getline(lines, line);) {
        const size_t arrow = line.find(" -> ");
        if (arrow == std::string::npos)
            continue;
        const size_t start = line.rfind(' ', arrow - 1) + 1;
        fds[line.substr(start, arrow - start)] = line.substr(arrow + 4);
    }
    // 0 the message, 1 and 2 the report pipe; sh's own descriptor on its script may join.
    CHECK(fds["0"] == f.dir / "msg");
    CHECK(fds["1"].starts_with("pipe:["));
    CHECK(fds["2"] == fds["1"]);
    for (const auto& [fd, target] : fds) {
        INFO(fd << " -> " << target);
        CHECK((fd == "0" || fd == "1" || fd == "2" || target == fake));
    }
    CHECK(fds.count(std::to_string(other.get())) == 0);
    // Exactly the environment given (sh adds PWD), not the caller's.
    CHECK(r.text.find("PATH=/usr/bin:/bin\n") != std::string::npos);
    CHECK(r.text.find("QMAILHOME=/q\n") != std::string::npos);
    CHECK(r.text.find("\nHOME=") == std::string::npos);
    CHECK(r.text.find("uid " + std::to_string(user->uid) + " args -- joe " + f.home +
                      " joe-x - x test.example sender@example.org ./Maildir/\n") !=
          std::string::npos);
    CHECK(r.text.find("Subject\n") != std::string::npos);

    // Exit codes: 100 permanent, 111 temporary, anything else a crash.
    prog.env.push_back("FAKE_EXIT=100");
    CHECK(qm::local::deliver_in_child(d, prog).kind == qm::Verdict::Kind::permanent);
    prog.env.back() = "FAKE_EXIT=111";
    CHECK(qm::local::deliver_in_child(d, prog).kind == qm::Verdict::Kind::temporary);
    prog.env.back() = "FAKE_EXIT=42";
    r = qm::local::deliver_in_child(d, prog);
    CHECK(r.kind == qm::Verdict::Kind::temporary);
    CHECK(r.text == "qmail-local crashed.\n");

    // A flood is cut at 64 KiB and does not block the delivery.
    qmtest::spit(fake, "#!/bin/sh\nhead -c 300000 /dev/zero | tr '\\0' y\nexit 0\n", 0755);
    r = qm::local::deliver_in_child(d, prog);
    CHECK(r.kind == qm::Verdict::Kind::success);
    CHECK(r.text.size() == 65536);
}

TEST_CASE("mbox quoting is right across read-block boundaries", "[local][deliver]") {
    // Lines of every length around the 64 KiB block size, many starting with ">*From ".
    std::string msg = "Subject: big\n\n";
    const char* starts[] = {"From ", ">From ", ">>From x", "Fro", "From", " From ", "x"};
    for (int i = 0; msg.size() < 300000; ++i)
        msg += std::string(starts[i % 7]) + std::string(static_cast<size_t>(i * 37 % 5000), 'y') +
               "\n";
    msg += ">>>From the end without newline";
    Fixture f(msg);
    qmtest::spit(f.home + "/.qmail-box", "./Mailbox\n");
    auto r = qm::local::deliver(f.delivery("joe-box", "-", "box"));
    REQUIRE(r.kind == qm::Verdict::Kind::success);

    std::string want;
    size_t pos = 0;
    while (pos < msg.size()) {
        size_t nl = msg.find('\n', pos);
        std::string line = msg.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        size_t gt = line.find_first_not_of('>');
        if (gt != std::string::npos && line.compare(gt, 5, "From ") == 0)
            want += '>';
        want += line + "\n";
        pos = nl == std::string::npos ? msg.size() : nl + 1;
    }
    want += "\n";
    const std::string mbox = qmtest::slurp(f.home + "/Mailbox");
    const std::string head =
        "Return-Path: <sender@example.org>\nDelivered-To: joe-box@test.example\n";
    size_t body = mbox.find(head);
    REQUIRE(body != std::string::npos);
    CHECK(mbox.substr(body + head.size()) == want);
}

TEST_CASE("a journaled message's maildir delivery made again finds its file and writes none",
          "[local][deliver]") {
    Fixture f;
    auto d = f.delivery("joe");
    d.journal_id = (7ULL << 32) + 3;
    REQUIRE(qm::local::deliver(d).kind == qm::Verdict::Kind::success);
    auto files = qmtest::list_dir(f.home + "/Maildir/new");
    REQUIRE(files.size() == 1);
    const std::string name = files.front();
    CHECK(name.starts_with("J30064771075.1."));
    const std::string content = qmtest::slurp(f.home + "/Maildir/new/" + name);
    // The crash came before qmail-send marked it: the delivery is made again, once.
    REQUIRE(qm::local::deliver(d).kind == qm::Verdict::Kind::success);
    CHECK(qmtest::list_dir(f.home + "/Maildir/new") == files);
    // Read since (moved to cur/, no flags yet): still there, still not written again.
    fs::rename(f.home + "/Maildir/new/" + name, f.home + "/Maildir/cur/" + name + ":2,");
    REQUIRE(qm::local::deliver(d).kind == qm::Verdict::Kind::success);
    CHECK(qmtest::list_dir(f.home + "/Maildir/new").empty());
    // A tmp/ file of the name (an attempt a crash cut short) is replaced, not kept.
    fs::remove(f.home + "/Maildir/cur/" + name + ":2,");
    qmtest::spit(f.home + "/Maildir/tmp/" + name, "Subject: cut sh");
    REQUIRE(qm::local::deliver(d).kind == qm::Verdict::Kind::success);
    CHECK(qmtest::list_dir(f.home + "/Maildir/tmp").empty());
    REQUIRE(qmtest::list_dir(f.home + "/Maildir/new") == files);
    CHECK(qmtest::slurp(f.home + "/Maildir/new/" + name) == content);
    // Another recipient, or another message, of the same maildir: files of their own.
    qmtest::spit(f.home + "/.qmail-x", "./Maildir/\n");
    auto other = f.delivery("joe-x", "-", "x");
    other.journal_id = d.journal_id;
    REQUIRE(qm::local::deliver(other).kind == qm::Verdict::Kind::success);
    auto next = f.delivery("joe");
    next.journal_id = d.journal_id + 1;
    REQUIRE(qm::local::deliver(next).kind == qm::Verdict::Kind::success);
    CHECK(qmtest::list_dir(f.home + "/Maildir/new").size() == 3);
    // Without a journal id, every delivery is a new file (qmail's way).
    auto classic = f.delivery("joe");
    REQUIRE(qm::local::deliver(classic).kind == qm::Verdict::Kind::success);
    REQUIRE(qm::local::deliver(classic).kind == qm::Verdict::Kind::success);
    CHECK(qmtest::list_dir(f.home + "/Maildir/new").size() == 5);
}

TEST_CASE("two maildir lines of one .qmail get two files with a journal id too",
          "[local][deliver]") {
    Fixture f;
    fs::create_directories(f.home + "/Other/new");
    fs::create_directories(f.home + "/Other/cur");
    fs::create_directories(f.home + "/Other/tmp");
    qmtest::spit(f.home + "/.qmail-two", "./Maildir/\n./Maildir/\n./Other/\n");
    auto d = f.delivery("joe-two", "-", "two");
    d.journal_id = 42;
    REQUIRE(qm::local::deliver(d).kind == qm::Verdict::Kind::success);
    CHECK(qmtest::list_dir(f.home + "/Maildir/new").size() == 2);
    CHECK(qmtest::list_dir(f.home + "/Other/new").size() == 1);
    REQUIRE(qm::local::deliver(d).kind == qm::Verdict::Kind::success);
    CHECK(qmtest::list_dir(f.home + "/Maildir/new").size() == 2);
    CHECK(qmtest::list_dir(f.home + "/Other/new").size() == 1);
}

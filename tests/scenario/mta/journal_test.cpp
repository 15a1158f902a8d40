// The journal end to end (qmail-journald(8), qmail-journal(5)): with control/journal 1,
// qmail-queue exits 0 only once qmail-journald has the message on stable storage, the
// queue's envelope carries the journal id, and qmail-journal prints, checks and gives
// back exactly what was queued; qmail-send delivers such messages as any other. Killed
// journald: no qmail-queue says 0 for a message the journal does not hold.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

using namespace std::string_literals;

namespace {

std::unique_ptr<qmtest::Daemon> start_journald(const qmtest::MailRoot& root, size_t seen = 0) {
    auto d = root.start({qmtest::bin("qmail-journald")}, "journald.log");
    REQUIRE(qmtest::wait_for(
        [&] { return d->log().find("status: journal ready", seen) != std::string::npos; }));
    return d;
}

qmtest::RunResult queue_one(const qmtest::MailRoot& root, int n) {
    return root.run({qmtest::bin("qmail-queue")},
                    {.stdin_data = "Subject: journal " + std::to_string(n) + "\n\nbody " +
                                   std::to_string(n) + "\n",
                     .fd1_input = "Fdave@test.example\0Talice@test.example\0\0"s});
}

// Messages qmail-send has preprocessed and not yet removed (info/S/N files).
size_t info_files(const qmtest::MailRoot& root) {
    return qmtest::preprocessed_messages(root.home());
}

// journal id → the M line qmail-journal printed for it.
std::map<std::string, std::string> journaled(const qmtest::MailRoot& root) {
    auto r = root.run({qmtest::bin("qmail-journal")});
    std::map<std::string, std::string> out;
    static const std::regex m(" M id=([0-9]+) ");
    size_t start = 0;
    for (size_t nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1) {
        const std::string line = r.out.substr(start, nl - start);
        std::smatch match;
        if (std::regex_search(line, match, m))
            out[match[1]] = line;
    }
    return out;
}

} // namespace

TEST_CASE("journal: qmail-queue hands each message to qmail-journald before it says 0",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    root.add_user("alice");
    root.control("journal", "1\n");
    auto journald = start_journald(root);
    for (int i = 0; i < 20; ++i) {
        auto r = queue_one(root, i);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // Every queued envelope names its journal record.
    const auto queued = qmtest::queued_messages(root.home());
    REQUIRE(queued.size() == 20);
    auto records = journaled(root);
    CHECK(records.size() == 20);
    std::set<std::string> ids;
    for (const auto& f : qmtest::list_dir(root / "queue/todo")) {
        const std::string env = qmtest::slurp(root / ("queue/todo/" + f));
        std::smatch match;
        static const std::regex j("j([0-9]+)");
        REQUIRE(std::regex_search(env, match, j));
        ids.insert(match[1]);
        REQUIRE(records.count(match[1]) == 1);
        CHECK(records[match[1]].find("queue=" + f + " ") != std::string::npos);
        CHECK(records[match[1]].find("from <dave@test.example> to 1 recipients") !=
              std::string::npos);
        // qmail-journal -x gives back mess/S/N byte for byte.
        auto x = root.run({qmtest::bin("qmail-journal"), "-x", match[1]});
        REQUIRE(x.exit_code == 0);
        const auto id = std::stoul(f);
        CHECK(x.out == qmtest::slurp(root / ("queue/mess/" + std::to_string(id % 23) + "/" + f)));
    }
    CHECK(ids.size() == 20);
    auto check = root.run({qmtest::bin("qmail-journal"), "-c"});
    CHECK(check.exit_code == 0);
    CHECK(check.out.find("20 records, whole") != std::string::npos);

    // qmail-send delivers them as any other message, and marks each one's end in the
    // journal before its queue files go.
    auto send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
    REQUIRE(qmtest::wait_for(
        [&] { return qmtest::list_dir(root / "users/alice/Maildir/new").size() == 20; }));
    REQUIRE(qmtest::wait_for([&] {
        return qmtest::count_of(root.run({qmtest::bin("qmail-journal")}).out, " E id=") == 20;
    }));
    REQUIRE(qmtest::wait_for([&] { return send->log().find("end msg") != std::string::npos; }));
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(send->log(), "end msg ") == 20; }));
    CHECK(qmtest::queued_messages(root.home()).empty());
    const std::string ends = root.run({qmtest::bin("qmail-journal")}).out;
    for (const auto& id : ids)
        CHECK(ends.find(" E id=" + id + "\n") != std::string::npos);
    journald->stop();
    // 20 messages, 20 recipients done, 20 ends.
    CHECK(journald->log().find("status: journal exiting: 60 records in ") != std::string::npos);
}

TEST_CASE("journal: with qmail-journald away, a delivered message stays until its end is marked",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    root.add_user("alice");
    root.control("journal", "1\n");
    auto journald = start_journald(root);
    for (int i = 0; i < 3; ++i)
        REQUIRE(queue_one(root, i).exit_code == 0);
    journald->stop();
    auto send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
    REQUIRE(qmtest::wait_for(
        [&] { return qmtest::list_dir(root / "users/alice/Maildir/new").size() == 3; }));
    REQUIRE(qmtest::wait_for(
        [&] { return qmtest::count_of(send->log(), "unable to mark msg ") == 3; }));
    CHECK(send->log().find("end msg") == std::string::npos);
    CHECK(info_files(root) == 3); // still queued, every recipient done

    // Back, and woken by SIGALRM, qmail-send marks the ends and lets the files go; no
    // recipient is delivered twice.
    journald = start_journald(root, qmtest::slurp(root / "journald.log").size());
    ::kill(send->pid(), SIGALRM);
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(send->log(), "end msg ") == 3; }));
    CHECK(qmtest::count_of(root.run({qmtest::bin("qmail-journal")}).out, " E id=") == 3);
    CHECK(qmtest::list_dir(root / "users/alice/Maildir/new").size() == 3);
    CHECK(qmtest::queued_messages(root.home()).empty());
    CHECK(info_files(root) == 0);
}

TEST_CASE("journal: without qmail-journald, or with a bad control/journal, nothing is queued",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    root.control("journal", "1\n");
    auto r = queue_one(root, 1);
    CHECK(r.exit_code == 53); // trouble writing: temporary, the sender tries again
    CHECK(qmtest::queued_messages(root.home()).empty());
    CHECK(qmtest::list_dir(root / "queue/intd").empty());
    root.control("journal", "yes\n");
    r = queue_one(root, 2);
    CHECK(r.exit_code == 55);
    CHECK(r.err.find("control/journal: not 0 or 1") != std::string::npos);
    root.control("journal", "0\n");
    CHECK(queue_one(root, 3).exit_code == 0); // the classic path needs no journald
}

TEST_CASE("journal: qmail-journald killed under load: every 0 from qmail-queue is journaled",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    root.control("journal", "1\n");
    auto journald = start_journald(root);
    std::atomic<int> next{0};
    std::mutex lock;
    std::vector<int> accepted; // the numbers qmail-queue said 0 for
    std::atomic<int> refused{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t)
        writers.emplace_back([&] {
            for (int n; (n = next.fetch_add(1)) < 160;) {
                auto r = queue_one(root, n);
                if (r.exit_code == 0) {
                    std::lock_guard g(lock);
                    accepted.push_back(n);
                } else {
                    ++refused;
                }
            }
        });
    // Three kills while the writers run, each followed by a restart.
    size_t seen = 0;
    for (int k = 0; k < 3; ++k) {
        REQUIRE(qmtest::wait_for([&] { return next.load() >= 30 * (k + 1); }));
        journald->stop(SIGKILL);
        seen = qmtest::slurp(root / "journald.log").size();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        journald = start_journald(root, seen);
    }
    for (auto& w : writers)
        w.join();
    journald->stop();
    INFO("accepted " << accepted.size() << ", refused " << refused.load());
    CHECK(accepted.size() + static_cast<size_t>(refused.load()) == 160);
    CHECK(accepted.size() >= 100);
    // Every message qmail-queue accepted is in the journal, whole, and its body decodes.
    auto check = root.run({qmtest::bin("qmail-journal"), "-c"});
    INFO(check.out + check.err);
    CHECK(check.exit_code == 0); // torn tails from the kills are not damage
    std::set<std::string> subjects;
    for (const auto& [id, line] : journaled(root)) {
        auto x = root.run({qmtest::bin("qmail-journal"), "-x", id});
        REQUIRE(x.exit_code == 0);
        const auto at = x.out.find("Subject: journal ");
        REQUIRE(at != std::string::npos);
        subjects.insert(x.out.substr(at + 17, x.out.find('\n', at) - at - 17));
    }
    for (int n : accepted)
        CHECK(subjects.count(std::to_string(n)) == 1);
    // The queue holds every accepted message once. A restarted journald also queues
    // again a message whose record was flushed when the kill cut its answer off: that
    // sender was told to try again, so it may arrive twice, never not at all.
    std::map<std::string, int> queued;
    for (const auto& q : qmtest::queued_messages(root.home())) {
        const auto at = q.message.find("Subject: journal ");
        REQUIRE(at != std::string::npos);
        ++queued[q.message.substr(at + 17, q.message.find('\n', at) - at - 17)];
    }
    for (int n : accepted)
        CHECK(queued[std::to_string(n)] == 1);
    for (const auto& [subject, count] : queued)
        CHECK(count == 1);
    CHECK(queued.size() <= accepted.size() + 3 * 4); // one group per kill, 4 writers
}

TEST_CASE("journal: a restart puts back what a crash took from the queue, once",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    root.add_user("alice");
    root.control("journal", "1\n");
    auto journald = start_journald(root);
    for (int i = 0; i < 5; ++i)
        REQUIRE(queue_one(root, i).exit_code == 0);
    journald->stop();
    auto todo = qmtest::list_dir(root / "queue/todo");
    REQUIRE(todo.size() == 5);
    auto mess_of = [&](const std::string& n) {
        return root / ("queue/mess/" + std::to_string(std::stoul(n) % 23) + "/" + n);
    };
    // What a crash could leave: one message gone entirely, one cut short.
    const std::string lost = todo[0], short_one = todo[1];
    const std::string lost_subject =
        qmtest::slurp(mess_of(lost)).substr(qmtest::slurp(mess_of(lost)).find("Subject:"));
    for (const char* d : {"todo", "intd"})
        std::filesystem::remove(root / ("queue/" + std::string(d) + "/" + lost));
    std::filesystem::remove(mess_of(lost));
    const std::string whole = qmtest::slurp(mess_of(short_one));
    std::filesystem::resize_file(mess_of(short_one), whole.size() / 2);

    journald = start_journald(root, qmtest::slurp(root / "journald.log").size());
    CHECK(journald->log().find("journal: recovered: 5 held, 3 whole, 1 repaired, 1 queued again") !=
          std::string::npos);
    CHECK(qmtest::slurp(mess_of(short_one)) == whole);
    todo = qmtest::list_dir(root / "queue/todo");
    CHECK(todo.size() == 5);
    // qmail-send delivers each of the five once, and every end is marked.
    auto send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(send->log(), "end msg ") == 5; }));
    const auto got = qmtest::list_dir(root / "users/alice/Maildir/new");
    CHECK(got.size() == 5);
    std::set<std::string> subjects;
    for (const auto& f : got) {
        const std::string m = qmtest::slurp(root / ("users/alice/Maildir/new/" + f));
        subjects.insert(
            m.substr(m.find("Subject:"), m.find('\n', m.find("Subject:")) - m.find("Subject:")));
        // The rebuilt one is the queued message byte for byte, one Received line of ours.
        CHECK(qmtest::count_of(m, "Received: (qmail ") == 1);
    }
    CHECK(subjects.size() == 5);
    CHECK(subjects.count(lost_subject.substr(0, lost_subject.find('\n'))) == 1);
    // Every message ended: the old segment goes, and a restart finds nothing to do.
    REQUIRE(qmtest::wait_for([&] {
        return journald->log().find("journal: retired segment 0000000000000001") !=
               std::string::npos;
    }));
    journald->stop();
    journald = start_journald(root, qmtest::slurp(root / "journald.log").size());
    CHECK(journald->log().find("journal: recovered: 0 held") != std::string::npos);
    CHECK(qmtest::count_of(qmtest::slurp(root / "users/alice/Maildir/new/" + got[0]), "Subject:") ==
          1);
    CHECK(qmtest::list_dir(root / "users/alice/Maildir/new").size() == 5);
}

namespace {

// The pid of parent's child running the program called name (its argv[0] ends in it).
int child_named(int parent, const std::string& name) {
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string pid = e.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::ifstream in(e.path() / "cmdline");
        std::string cmd;
        std::getline(in, cmd, '\0');
        if (!cmd.ends_with("/" + name))
            continue;
        std::ifstream status(e.path() / "status");
        for (std::string line; std::getline(status, line);)
            if (line == "PPid:\t" + std::to_string(parent))
                return std::stoi(pid);
    }
    return -1;
}

// alice's mail root with control/journal 1, and qmail-start run until qmail-send is up.
std::unique_ptr<qmtest::Daemon> start_journaled_mta(qmtest::MailRoot& root) {
    root.add_user("alice");
    root.control("journal", "1\n");
    auto start = root.start({qmtest::bin("qmail-start"), "./Maildir/"}, "start.log");
    REQUIRE(
        qmtest::wait_for([&] { return start->log().find("status: local") != std::string::npos; }));
    return start;
}

} // namespace

TEST_CASE("journal: qmail-start starts qmail-journald before qmail-send, which ends it",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    auto start = start_journaled_mta(root);
    const std::string log = start->log();
    const auto ready = log.find("status: journal ready");
    REQUIRE(ready != std::string::npos);
    CHECK(log.find("journal: recovered: 0 held") < ready);
    CHECK(ready < log.find("status: local")); // qmail-send came after
    REQUIRE(queue_one(root, 1).exit_code == 0);
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(start->log(), "end msg ") == 1; }));
    CHECK(qmtest::count_of(root.run({qmtest::bin("qmail-journal")}).out, " E id=") == 1);
    // SIGTERM to qmail-send alone: qmail-journald follows it.
    const int journald = child_named(start->pid(), "qmail-journald");
    REQUIRE(journald > 0);
    ::kill(start->pid(), SIGTERM);
    REQUIRE(qmtest::wait_for(
        [&] { return start->log().find("status: journal exiting") != std::string::npos; }));
    CHECK(qmtest::wait_for(
        [&] { return ::kill(journald, 0) != 0 || qmtest::proc_uid_line(journald).empty(); }));
}

TEST_CASE("journal: when qmail-journald dies, qmail-send reaps it, finishes and exits 111",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    auto start = start_journaled_mta(root);
    REQUIRE(queue_one(root, 1).exit_code == 0);
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(start->log(), "end msg ") == 1; }));
    const int journald = child_named(start->pid(), "qmail-journald");
    REQUIRE(journald > 0);
    ::kill(journald, SIGKILL);
    // "signal 9" comes from qmail-send's own wait for it: reaped, not left a zombie.
    REQUIRE(qmtest::wait_for([&] {
        return start->log().find("qmail-journald exited (signal 9); exiting") != std::string::npos;
    }));
    // qmail-send finishes on its own: wait until it has exited (a zombie for us to reap).
    auto exited = [pid = start->pid()] {
        const std::string stat = qmtest::slurp("/proc/" + std::to_string(pid) + "/stat");
        const auto paren = stat.rfind(')');
        return paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] == 'Z';
    };
    REQUIRE(qmtest::wait_for(exited));
    const int status = start->stop(SIGKILL); // nothing left to kill; this reaps it
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 111);
    CHECK(start->log().find("stopped because qmail-journald went away") != std::string::npos);
    // Nothing queued meanwhile was lost: the next start recovers and delivers as before.
    CHECK(queue_one(root, 2).exit_code != 0); // no journald: refused, not accepted
    start = root.start({qmtest::bin("qmail-start"), "./Maildir/"}, "start2.log");
    REQUIRE(qmtest::wait_for([&] { return queue_one(root, 3).exit_code == 0; }));
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(start->log(), "end msg ") == 1; }));
    CHECK(qmtest::list_dir(root / "users/alice/Maildir/new").size() == 2);
}

TEST_CASE("journal: in root mode qmail-journald runs as qmailq, and qmail-send reaches it",
          "[scenario][journal][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    qmtest::TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    const std::string home = dir / "qmail";
    const std::map<std::string, std::string> env = {{"QMAILHOME", home}};
    REQUIRE(qmtest::run({qmtest::bin("qmail-install"), home}, {.env = env}).exit_code == 0);
    qmtest::spit(home + "/control/me", "test.example\n");
    qmtest::spit(home + "/control/journal", "1\n");
    const std::string bob = dir / "bob";
    for (const char* d : {"", "/Maildir", "/Maildir/new", "/Maildir/cur", "/Maildir/tmp"}) {
        std::filesystem::create_directories(bob + d);
        REQUIRE(::chown((bob + d).c_str(), user->uid, user->gid) == 0);
    }
    qmtest::spit(home + "/users/assign", "=bob:qmtest:" + std::to_string(user->uid) + ":" +
                                             std::to_string(user->gid) + ":" + bob + ":::\n.\n");
    REQUIRE(qmtest::run({qmtest::bin("qmail-newu")}, {.env = env}).exit_code == 0);
    qmtest::Daemon d({qmtest::bin("qmail-start"), "./Maildir/"}, {.env = env}, dir / "start.log");
    REQUIRE(qmtest::wait_for([&] { return d.log().find("status: local") != std::string::npos; }));
    const int journald = child_named(d.pid(), "qmail-journald");
    REQUIRE(journald > 0);
    const passwd* qmailq = ::getpwnam("qmailq");
    REQUIRE(qmailq);
    CHECK(qmtest::proc_uid_line(journald).find("\t" + std::to_string(qmailq->pw_uid) + "\t") !=
          std::string::npos);
    // An ordinary user queues through the set-uid qmail-queue; qmail-send (qmails) marks
    // the end through the socket.
    auto r = qmtest::run({home + "/bin/qmail-queue"},
                         {.stdin_data = "Subject: root journal\n\nhi\n",
                          .fd1_input = "Fqmtest@test.example\0Tbob@test.example\0\0"s,
                          .env = env,
                          .as_user = user});
    INFO(d.log());
    REQUIRE(r.exit_code == 0);
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(d.log(), "end msg ") == 1; }));
    const auto got = qmtest::list_dir(bob + "/Maildir/new");
    REQUIRE(got.size() == 1);
    // qmail-lspawn handed the journal id to qmail-local: the name is the stable one.
    CHECK(got.front().starts_with("J"));
    CHECK(d.log().find("unable to mark msg") == std::string::npos);
    CHECK(qmtest::count_of(qmtest::run({qmtest::bin("qmail-journal")}, {.env = env}).out,
                           " E id=") == 1);

    // A message past preprocessing at a restart: info/ is qmails' and closed to
    // qmail-journald (qmailq), which finds it whole by its mess/S/N and leaves its channel
    // files to qmail-send, instead of failing (or queueing it a second time).
    std::filesystem::rename(bob + "/Maildir", bob + "/Maildir.away");
    r = qmtest::run({home + "/bin/qmail-queue"},
                    {.stdin_data = "Subject: root journal 2\n\nhi\n",
                     .fd1_input = "Fqmtest@test.example\0Tbob@test.example\0\0"s,
                     .env = env,
                     .as_user = user});
    REQUIRE(r.exit_code == 0);
    REQUIRE(qmtest::wait_for([&] { return d.log().find(": deferral: ") != std::string::npos; }));
    d.stop(SIGTERM);
    std::filesystem::rename(bob + "/Maildir.away", bob + "/Maildir");
    qmtest::Daemon again({qmtest::bin("qmail-start"), "./Maildir/"}, {.env = env},
                         dir / "start2.log");
    REQUIRE(
        qmtest::wait_for([&] { return again.log().find("status: local") != std::string::npos; }));
    CHECK(again.log().find("1 held, 1 whole, 0 repaired, 0 queued again") != std::string::npos);
    CHECK(again.log().find("1 whole by mess/ alone") != std::string::npos);
    ::kill(again.pid(), SIGALRM); // retry bob now
    REQUIRE(qmtest::wait_for([&] { return qmtest::list_dir(bob + "/Maildir/new").size() == 2; }));
    REQUIRE(qmtest::wait_for([&] { return again.log().find("end msg ") != std::string::npos; }));
    CHECK(qmtest::list_dir(bob + "/Maildir/new").size() == 2);
    again.stop(SIGTERM);
}

TEST_CASE("journal: a message queued again after a crash skips the recipients already done",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    root.add_user("alice");
    root.add_user("bob");
    root.control("journal", "1\n");
    // bob's maildir is away for now: his delivery is deferred, alice's done.
    std::filesystem::rename(root / "users/bob/Maildir", root / "users/bob/Maildir.away");
    auto journald = start_journald(root);
    auto r =
        root.run({qmtest::bin("qmail-queue")},
                 {.stdin_data = "Subject: two readers\n\nhi\n",
                  .fd1_input = "Fdave@test.example\0Talice@test.example\0Tbob@test.example\0\0"s});
    REQUIRE(r.exit_code == 0);
    auto send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
    REQUIRE(qmtest::wait_for(
        [&] { return qmtest::list_dir(root / "users/alice/Maildir/new").size() == 1; }));
    REQUIRE(
        qmtest::wait_for([&] { return send->log().find(": deferral: ") != std::string::npos; }));
    REQUIRE(qmtest::wait_for([&] {
        return root.run({qmtest::bin("qmail-journal")}).out.find(" D id=") != std::string::npos;
    }));
    CHECK(root.run({qmtest::bin("qmail-journal")}).out.find("delivered to <alice@test.example>") !=
          std::string::npos);
    send->stop();
    journald->stop();
    // The crash takes every queue file of the message.
    for (const char* dir : {"mess", "info", "local", "remote"})
        for (int split = 0; split < 23; ++split) {
            const std::string d =
                root / ("queue/" + std::string(dir) + "/" + std::to_string(split));
            for (const auto& f : qmtest::list_dir(d))
                std::filesystem::remove(d + "/" + f);
        }
    std::filesystem::rename(root / "users/bob/Maildir.away", root / "users/bob/Maildir");
    journald = start_journald(root, qmtest::slurp(root / "journald.log").size());
    CHECK(journald->log().find("1 held, 0 whole, 0 repaired, 1 queued again") != std::string::npos);
    const auto todo = qmtest::list_dir(root / "queue/todo");
    REQUIRE(todo.size() == 1);
    const std::string env = qmtest::slurp(root / ("queue/todo/" + todo[0]));
    CHECK(env.find("Tbob@test.example") != std::string::npos);
    CHECK(env.find("Talice@test.example") == std::string::npos);
    send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send2.log");
    REQUIRE(qmtest::wait_for(
        [&] { return qmtest::list_dir(root / "users/bob/Maildir/new").size() == 1; }));
    REQUIRE(qmtest::wait_for([&] { return send->log().find("end msg ") != std::string::npos; }));
    CHECK(qmtest::list_dir(root / "users/alice/Maildir/new").size() == 1); // not twice
    CHECK(qmtest::count_of(root.run({qmtest::bin("qmail-journal")}).out, " E id=") == 1);
}

TEST_CASE("journal: a restart repairs channel files a crash cut short, lost or left unmarked",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    for (const char* user : {"alice", "bob", "carol"})
        root.add_user(user);
    root.control("journal", "1\n");
    // carol's maildir is away for now: her deliveries are deferred, the others done.
    std::filesystem::rename(root / "users/carol/Maildir", root / "users/carol/Maildir.away");
    auto journald = start_journald(root);
    auto queue = [&](const std::string& subject, const std::string& rcpts) {
        REQUIRE(root.run({qmtest::bin("qmail-queue")},
                         {.stdin_data = "Subject: " + subject + "\n\nhi\n",
                          .fd1_input = "Fdave@test.example\0"s + rcpts + "\0"s})
                    .exit_code == 0);
    };
    queue("unmarked", "Talice@test.example\0Tbob@test.example\0Tcarol@test.example\0"s);
    queue("lost", "Tcarol@test.example\0"s);
    queue("torn", "Tbob@test.example\0Tcarol@test.example\0"s);
    auto send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(send->log(), ": deferral: ") >= 3; }));
    REQUIRE(qmtest::wait_for([&] {
        return qmtest::count_of(root.run({qmtest::bin("qmail-journal")}).out, " D id=") == 3;
    }));
    send->stop();
    journald->stop();
    REQUIRE(qmtest::list_dir(root / "users/alice/Maildir/new").size() == 1);
    REQUIRE(qmtest::list_dir(root / "users/bob/Maildir/new").size() == 2);

    // What a power cut can leave of files written without a flush, one message each.
    std::map<std::string, std::string> channel; // message -> its local/S/N
    for (int split = 0; split < 23; ++split) {
        const std::string d = root / ("queue/local/" + std::to_string(split));
        for (const auto& f : qmtest::list_dir(d)) {
            const std::string data = qmtest::slurp(d + "/" + f);
            const std::string which = data.find("alice") != std::string::npos ? "unmarked"
                                      : data.find("bob") != std::string::npos ? "torn"
                                                                              : "lost";
            channel[which] = d + "/" + f;
        }
    }
    REQUIRE(channel.size() == 3);
    REQUIRE(qmtest::slurp(channel["unmarked"]) ==
            "Dalice@test.example\0Dbob@test.example\0Tcarol@test.example\0"s);
    // alice's mark lost: the file says T where the journal says done.
    qmtest::spit(channel["unmarked"],
                 "Talice@test.example\0Dbob@test.example\0Tcarol@test.example\0"s);
    // The whole file lost: qmail-send alone would take the message for delivered.
    std::filesystem::remove(channel["lost"]);
    // Cut short in carol's record, and bob's mark gone with it.
    qmtest::spit(channel["torn"], "Tbob@test.example\0Tcar"s);

    std::filesystem::rename(root / "users/carol/Maildir.away", root / "users/carol/Maildir");
    journald = start_journald(root, qmtest::slurp(root / "journald.log").size());
    CHECK(journald->log().find("3 held, 1 whole, 0 repaired, 0 queued again, 0 delivered, 2 with "
                               "channel files repaired, 1 with done marks restored") !=
          std::string::npos);
    CHECK(qmtest::slurp(channel["unmarked"]) ==
          "Dalice@test.example\0Dbob@test.example\0Tcarol@test.example\0"s);
    CHECK(qmtest::slurp(channel["lost"]) == "Tcarol@test.example\0"s);
    CHECK(qmtest::slurp(channel["torn"]) == "Dbob@test.example\0Tcarol@test.example\0"s);

    send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send2.log");
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(send->log(), "end msg ") == 3; }));
    CHECK(qmtest::list_dir(root / "users/carol/Maildir/new").size() == 3);
    CHECK(qmtest::list_dir(root / "users/alice/Maildir/new").size() == 1); // not twice
    CHECK(qmtest::list_dir(root / "users/bob/Maildir/new").size() == 2);
    CHECK(qmtest::count_of(root.run({qmtest::bin("qmail-journal")}).out, " E id=") == 3);
}

TEST_CASE("journal: an envelope whose message file a crash took is queued again as a new message",
          "[scenario][journal]") {
    qmtest::MailRoot root;
    for (const char* user : {"alice", "carol"})
        root.add_user(user);
    root.control("journal", "1\n");
    std::filesystem::rename(root / "users/carol/Maildir", root / "users/carol/Maildir.away");
    auto journald = start_journald(root);
    REQUIRE(
        root.run({qmtest::bin("qmail-queue")},
                 {.stdin_data = "Subject: no mess\n\nhi\n",
                  .fd1_input = "Fdave@test.example\0Talice@test.example\0Tcarol@test.example\0\0"s})
            .exit_code == 0);
    auto send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
    REQUIRE(
        qmtest::wait_for([&] { return send->log().find(": deferral: ") != std::string::npos; }));
    REQUIRE(qmtest::wait_for([&] {
        return root.run({qmtest::bin("qmail-journal")}).out.find(" D id=") != std::string::npos;
    }));
    send->stop();
    journald->stop();
    // The crash kept info/S/N and its channel file, and took mess/S/N.
    size_t removed = 0;
    for (int split = 0; split < 23; ++split) {
        const std::string d = root / ("queue/mess/" + std::to_string(split));
        for (const auto& f : qmtest::list_dir(d))
            removed += std::filesystem::remove(d + "/" + f) ? 1 : 0;
    }
    REQUIRE(removed == 1);
    std::filesystem::rename(root / "users/carol/Maildir.away", root / "users/carol/Maildir");
    journald = start_journald(root, qmtest::slurp(root / "journald.log").size());
    CHECK(journald->log().find("1 held, 0 whole, 0 repaired, 1 queued again") != std::string::npos);
    CHECK(qmtest::preprocessed_messages(root.home()) == 0); // the old entry went
    // A new todo/N: its number is the new message file's inode, which the file system may
    // well give back to it (it did in a CI-like run); the old entry's files are gone either
    // way, so that the new message is not taken for the old one's remains.
    REQUIRE(qmtest::list_dir(root / "queue/todo").size() == 1);
    send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send2.log");
    REQUIRE(qmtest::wait_for([&] { return send->log().find("end msg ") != std::string::npos; }));
    CHECK(qmtest::list_dir(root / "users/carol/Maildir/new").size() == 1);
    CHECK(qmtest::list_dir(root / "users/alice/Maildir/new").size() == 1); // not twice
    CHECK(send->log().find("no " + root.home()) == std::string::npos);     // nothing left behind
}

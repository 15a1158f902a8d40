// Root mode: a delivery's process holds only its own message and report channel. A
// user's .qmail program runs as that user, so whatever its ancestors of the same uid
// hold (descriptors, memory) is within its reach through /proc or ptrace; none of it may
// be qmail-send's socket, the log, or another delivery's message.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// Every descriptor of every process this user may look into: the parent chain first
// (where an inherited descriptor would be), then all of /proc (a sibling delivery).
// Each line is "pid fd target"; a message file found this way is copied into loot.
const char* hunt_script = R"(#!/bin/sh
p=$PPID
while [ "$p" -gt 1 ]; do
  for f in /proc/$p/fd/*; do
    l=$(readlink "$f" 2>/dev/null) && echo "$p $f $l"
  done
  p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status)
done > fds.txt
for f in /proc/[0-9]*/fd/*; do
  l=$(readlink "$f" 2>/dev/null) || continue
  case "$l" in
  */queue/mess/*) echo "== $f $l" >> loot.txt; cat "$f" >> loot.txt 2>/dev/null ;;
  esac
done
exit 0
)";

struct Account {
    std::string name, home;
    uid_t uid;
    gid_t gid;
};

// A root-mode mail root with qmail-start running and one account per entry of users.
struct RootModeRoot {
    qmtest::TempDir dir;
    std::string home = dir / "qmail";
    std::map<std::string, std::string> env = {{"QMAILHOME", home}};
    std::vector<Account> accounts;
    std::unique_ptr<qmtest::Daemon> daemon;

    explicit RootModeRoot(const std::vector<std::pair<std::string, const passwd*>>& users) {
        auto r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = env});
        REQUIRE(r.exit_code == 0);
        qmtest::spit(home + "/control/me", "test.example\n");
        std::string assign;
        for (const auto& [name, pw] : users) {
            Account a{name, dir / name, pw->pw_uid, pw->pw_gid};
            for (const char* d : {"", "/Maildir", "/Maildir/new", "/Maildir/cur", "/Maildir/tmp"}) {
                fs::create_directories(a.home + d);
                ::chmod((a.home + d).c_str(), 0755);
                REQUIRE(::chown((a.home + d).c_str(), a.uid, a.gid) == 0);
            }
            assign += "=" + name + ":" + pw->pw_name + ":" + std::to_string(a.uid) + ":" +
                      std::to_string(a.gid) + ":" + a.home + ":::\n";
            accounts.push_back(a);
        }
        qmtest::spit(home + "/users/assign", assign + ".\n");
        r = qmtest::run({qmtest::bin("qmail-newu")}, {.env = env});
        REQUIRE(r.exit_code == 0);
        daemon = std::make_unique<qmtest::Daemon>(
            std::vector<std::string>{qmtest::bin("qmail-start"), "./Maildir/"},
            qmtest::RunOptions{.env = env}, dir / "start.log");
        REQUIRE(qmtest::wait_for(
            [&] { return daemon->log().find("status: local") != std::string::npos; }));
    }

    // A file in the account's home, owned by it.
    void give(const Account& a, const std::string& name, const std::string& content,
              unsigned mode) const {
        const std::string path = a.home + "/" + name;
        qmtest::spit(path, content, mode);
        REQUIRE(::chown(path.c_str(), a.uid, a.gid) == 0);
    }

    void queue(const std::string& to, const std::string& text) const {
        auto r = qmtest::run({home + "/bin/qmail-queue"},
                             {.stdin_data = text,
                              .fd1_input = "Fqmtest@test.example\0T"s + to + "\0\0"s,
                              .env = env,
                              .as_user = qmtest::unprivileged_test_user()});
        REQUIRE(r.exit_code == 0);
    }
};

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

} // namespace

TEST_CASE("root mode: a .qmail program reaches no descriptor but its own delivery's",
          "[scenario][send][rootmode][isolation]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    const passwd* qmtest_pw = ::getpwnam("qmtest");
    REQUIRE(qmtest_pw);
    RootModeRoot root({{"bob", qmtest_pw}});
    const Account& bob = root.accounts[0];
    root.give(bob, "hunt.sh", hunt_script, 0755);
    root.give(bob, ".qmail", "|./hunt.sh\n./Maildir/\n", 0644);

    root.queue("bob@test.example", "Subject: fds\n\nhi\n");
    INFO(root.daemon->log());
    REQUIRE(
        qmtest::wait_for([&] { return qmtest::list_dir(bob.home + "/Maildir/new").size() == 1; }));
    const std::string fds = qmtest::slurp(bob.home + "/fds.txt");
    INFO(fds);
    // The program's parent is within reach (same uid): the walk saw something.
    CHECK(fds.find("/fd/0 ") != std::string::npos);
    std::set<std::string> messages;
    for (const auto& line : lines_of(fds)) {
        const std::string target = line.substr(line.find(' ', line.find(' ') + 1) + 1);
        if (target.find("/queue/mess/") != std::string::npos) {
            messages.insert(target);
            continue;
        }
        // Nothing of the scheduler (its socket, the log) and nothing else of the system:
        // the report pipe and the recipient's own files only.
        INFO(line);
        CHECK((target.starts_with("pipe:[") || target.starts_with(bob.home)));
    }
    CHECK(messages.size() <= 1);
    CHECK(WEXITSTATUS(root.daemon->stop(SIGTERM)) == 0);
}

TEST_CASE("root mode: one user's .qmail program cannot read another's message in delivery",
          "[scenario][send][rootmode][isolation]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    // Copies: getpwnam's result lives in one buffer that the next call overwrites.
    const passwd* pw = ::getpwnam("qmtest");
    REQUIRE(pw);
    passwd bob_pw = *pw;
    std::string bob_name = pw->pw_name;
    bob_pw.pw_name = bob_name.data();
    pw = ::getpwnam("nobody");
    REQUIRE(pw);
    passwd alice_pw = *pw;
    std::string alice_name = pw->pw_name;
    alice_pw.pw_name = alice_name.data();
    REQUIRE(alice_pw.pw_uid != bob_pw.pw_uid);
    RootModeRoot root({{"alice", &alice_pw}, {"bob", &bob_pw}});
    const Account& alice = root.accounts[0];
    const Account& bob = root.accounts[1];
    // Alice's delivery stays open until the test says so.
    root.give(alice, "hold.sh",
              "#!/bin/sh\ntouch started\nwhile [ ! -e release ]; do sleep 0.05; done\nexit 0\n",
              0755);
    root.give(alice, ".qmail", "|./hold.sh\n./Maildir/\n", 0644);
    root.give(bob, "hunt.sh", hunt_script, 0755);
    root.give(bob, ".qmail", "|./hunt.sh\n./Maildir/\n", 0644);

    root.queue("alice@test.example", "Subject: for alice only\n\nsecret-of-alice\n");
    INFO(root.daemon->log());
    REQUIRE(qmtest::wait_for([&] { return fs::exists(alice.home + "/started"); }));
    root.queue("bob@test.example", "Subject: bob's\n\nhi\n");
    REQUIRE(
        qmtest::wait_for([&] { return qmtest::list_dir(bob.home + "/Maildir/new").size() == 1; }));
    qmtest::spit(alice.home + "/release", "");
    REQUIRE(qmtest::wait_for(
        [&] { return qmtest::list_dir(alice.home + "/Maildir/new").size() == 1; }));

    const std::string loot =
        fs::exists(bob.home + "/loot.txt") ? qmtest::slurp(bob.home + "/loot.txt") : "";
    INFO(loot);
    CHECK(loot.find("secret-of-alice") == std::string::npos);
    CHECK(loot.find("for alice only") == std::string::npos);
    CHECK(WEXITSTATUS(root.daemon->stop(SIGTERM)) == 0);
}

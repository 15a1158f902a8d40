// Root mode: the mail root belongs to qmail's role users, qmail-queue is a setuid qmailq
// copy, and an ordinary user's injection lands in the queue owned by qmailq.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

struct stat stat_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

} // namespace

TEST_CASE("root mode: queue owned by role users, setuid qmail-queue", "[scenario][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    qmtest::TempDir dir;
    std::string home = dir / "qmail";
    auto r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = {{"QMAILHOME", home}}});
    REQUIRE(r.exit_code == 0);

    CHECK(stat_of(home + "/queue/mess").st_uid == qmtest::uid_of("qmailq"));
    CHECK((stat_of(home + "/queue/mess").st_mode & 07777) == 0750);
    CHECK(stat_of(home + "/queue/todo").st_uid == qmtest::uid_of("qmailq"));
    CHECK(stat_of(home + "/queue/info").st_uid == qmtest::uid_of("qmails"));
    CHECK((stat_of(home + "/queue/info").st_mode & 07777) == 0700);
    CHECK(stat_of(home + "/queue/local/0").st_uid == qmtest::uid_of("qmails"));
    // qmail's hier.c: lock/ qmailq 0750, sendmutex qmails 0600, trigger a qmails FIFO 0622.
    CHECK(stat_of(home + "/queue/lock").st_uid == qmtest::uid_of("qmailq"));
    CHECK((stat_of(home + "/queue/lock").st_mode & 07777) == 0750);
    CHECK(stat_of(home + "/queue/lock/sendmutex").st_uid == qmtest::uid_of("qmails"));
    CHECK(stat_of(home + "/queue/lock/trigger").st_uid == qmtest::uid_of("qmails"));
    // tcpto is qmailr's, as in qmail: qmail-remote runs as qmailr in root mode.
    CHECK(stat_of(home + "/queue/lock/tcpto").st_uid == qmtest::uid_of("qmailr"));
    CHECK(stat_of(home + "/queue/lock/tcpto6").st_uid == qmtest::uid_of("qmailr"));
    CHECK(S_ISFIFO(stat_of(home + "/queue/lock/trigger").st_mode));
    CHECK((stat_of(home + "/queue/lock/trigger").st_mode & 07777) == 0622);
    CHECK(stat_of(home + "/alias").st_uid == qmtest::uid_of("alias"));
    auto qq = stat_of(home + "/bin/qmail-queue");
    CHECK(S_ISREG(qq.st_mode));
    CHECK(qq.st_uid == qmtest::uid_of("qmailq"));
    CHECK((qq.st_mode & 04000) != 0);

    // An unprivileged user queues through the setuid qmail-queue.
    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    r = qmtest::run({home + "/bin/qmail-queue"},
                    {.stdin_data = "Subject: root mode\n\nhi\n",
                     .fd1_input = "Fqmtest@test.example\0Tsomeone@test.example\0\0"s,
                     .env = {{"QMAILHOME", home}},
                     .as_user = user});
    REQUIRE(r.exit_code == 0);
    auto todo = qmtest::list_dir(home + "/queue/todo");
    REQUIRE(todo.size() == 1);
    auto id = std::stoul(todo[0]);
    std::string mess = home + "/queue/mess/" + std::to_string(id % 23) + "/" + todo[0];
    CHECK(stat_of(mess).st_uid == qmtest::uid_of("qmailq"));
    CHECK(qmtest::slurp(mess).find("invoked by uid " + std::to_string(user->uid)) !=
          std::string::npos);

    // Running qmail-install again keeps queued mail.
    r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = {{"QMAILHOME", home}}});
    REQUIRE(r.exit_code == 0);
    CHECK(fs::exists(mess));
}

TEST_CASE("root mode: the setuid qmail-queue ignores a caller's QMAILHOME",
          "[scenario][rootmode][qmailhome]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    qmtest::TempDir dir;
    const std::string home = dir / "qmail";
    auto r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = {{"QMAILHOME", home}}});
    REQUIRE(r.exit_code == 0);
    const std::string envelope = "Fqmtest@test.example\0Tsomeone@test.example\0\0"s;
    r = qmtest::run({home + "/bin/qmail-queue"}, {.stdin_data = "Subject: victim\n\nhi\n",
                                                  .fd1_input = envelope,
                                                  .env = {{"QMAILHOME", home}},
                                                  .as_user = user});
    REQUIRE(r.exit_code == 0);
    auto todo = qmtest::list_dir(home + "/queue/todo");
    REQUIRE(todo.size() == 1);
    const std::string victim =
        home + "/queue/mess/" + std::to_string(std::stoul(todo[0]) % 23) + "/" + todo[0];
    const std::string before = qmtest::slurp(victim);

    // The user's own tree, writable by qmailq, whose trigger leads to the queued message.
    const std::string fake = dir / "fake";
    for (const char* d :
         {"", "/queue", "/queue/pid", "/queue/intd", "/queue/todo", "/queue/mess", "/queue/lock"})
        fs::create_directories(fake + d);
    for (int i = 0; i < 23; ++i)
        fs::create_directories(fake + "/queue/mess/" + std::to_string(i));
    for (const auto& e : fs::recursive_directory_iterator(fake)) {
        ::chmod(e.path().c_str(), 0777);
        REQUIRE(::chown(e.path().c_str(), user->uid, user->gid) == 0);
    }
    REQUIRE(::chown(fake.c_str(), user->uid, user->gid) == 0);
    fs::create_symlink(victim, fake + "/queue/lock/trigger");
    REQUIRE(::lchown((fake + "/queue/lock/trigger").c_str(), user->uid, user->gid) == 0);

    r = qmtest::run({home + "/bin/qmail-queue"}, {.stdin_data = "Subject: attack\n\nhi\n",
                                                  .fd1_input = envelope,
                                                  .env = {{"QMAILHOME", fake}},
                                                  .as_user = user});
    INFO(r.err);
    // Queued in the installed root, where qmail-queue lives, or refused: never written
    // into the caller's tree, never through its symlink.
    CHECK(qmtest::slurp(victim) == before);
    CHECK(qmtest::list_dir(fake + "/queue/todo").empty());
    CHECK(r.exit_code == 0);
    CHECK(qmtest::list_dir(home + "/queue/todo").size() == 2);
}

TEST_CASE("root mode: a setuid qmail-queue outside a root-owned tree refuses to run",
          "[scenario][rootmode][qmailhome]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    qmtest::TempDir dir;
    const std::string home = dir / "qmail";
    auto r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = {{"QMAILHOME", home}}});
    REQUIRE(r.exit_code == 0);
    // The same setuid program, but its bin/ is the user's: the tree above it could be
    // anything the user likes.
    const std::string own = dir / "own";
    fs::create_directories(own + "/bin");
    fs::copy_file(home + "/bin/qmail-queue", own + "/bin/qmail-queue");
    const uid_t qmailq = qmtest::uid_of("qmailq");
    REQUIRE(::chown((own + "/bin/qmail-queue").c_str(), qmailq, stat_of(home + "/bin").st_gid) ==
            0);
    REQUIRE(::chmod((own + "/bin/qmail-queue").c_str(), 04711) == 0);
    REQUIRE(::chown((own + "/bin").c_str(), user->uid, user->gid) == 0);
    r = qmtest::run({own + "/bin/qmail-queue"},
                    {.stdin_data = "Subject: x\n\nhi\n",
                     .fd1_input = "Fqmtest@test.example\0Tsomeone@test.example\0\0"s,
                     .env = {{"QMAILHOME", home}},
                     .as_user = user});
    CHECK(r.exit_code == 61);
    CHECK(r.err.find("is not owned by root") != std::string::npos);
    CHECK(qmtest::list_dir(home + "/queue/todo").empty());
}

TEST_CASE("root mode: a set-gid program ignores $QMAILQUEUE and $QMAILHOME",
          "[scenario][rootmode][qmailhome]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    qmtest::TempDir dir;
    const std::string home = dir / "qmail";
    auto r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = {{"QMAILHOME", home}}});
    REQUIRE(r.exit_code == 0);
    qmtest::spit(home + "/control/me", "test.example\n");
    // qmail-inject made set-gid, as a site might to let it read a private control file.
    const std::string inject = home + "/bin/qmail-inject-sgid";
    fs::copy_file(qmtest::bin("qmail-inject"), inject);
    REQUIRE(::chown(inject.c_str(), 0, 65534) == 0);
    REQUIRE(::chmod(inject.c_str(), 02755) == 0);
    // The caller's own mail root and "qmail-queue", which would record that it ran.
    fs::create_directories(dir / "elsewhere/control");
    qmtest::spit(dir / "elsewhere/control/me", "elsewhere.example\n");
    const std::string scratch = dir / "scratch";
    fs::create_directories(scratch);
    REQUIRE(::chown(scratch.c_str(), user->uid, user->gid) == 0);
    const std::string marker = scratch + "/fake-ran";
    const std::string fake_queue = scratch + "/fake-queue";
    qmtest::spit(fake_queue, "#!/bin/sh\ntouch " + marker + "\ncat >/dev/null\nexit 0\n", 0755);
    r = qmtest::run({inject, "someone@test.example"},
                    {.stdin_data = "Subject: sgid\n\nhi\n",
                     .env = {{"QMAILHOME", dir / "elsewhere"}, {"QMAILQUEUE", fake_queue}},
                     .as_user = user});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(fs::exists(marker));
    CHECK(qmtest::list_dir(home + "/queue/todo").size() == 1);
}

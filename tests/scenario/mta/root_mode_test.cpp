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

uid_t uid_of(const char* name) {
    const passwd* pw = ::getpwnam(name);
    REQUIRE(pw);
    return pw->pw_uid;
}

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

    CHECK(stat_of(home + "/queue/mess").st_uid == uid_of("qmailq"));
    CHECK((stat_of(home + "/queue/mess").st_mode & 07777) == 0750);
    CHECK(stat_of(home + "/queue/todo").st_uid == uid_of("qmailq"));
    CHECK(stat_of(home + "/queue/info").st_uid == uid_of("qmails"));
    CHECK((stat_of(home + "/queue/info").st_mode & 07777) == 0700);
    CHECK(stat_of(home + "/queue/local/0").st_uid == uid_of("qmails"));
    // qmail's hier.c: lock/ qmailq 0750, sendmutex qmails 0600, trigger a qmails FIFO 0622.
    CHECK(stat_of(home + "/queue/lock").st_uid == uid_of("qmailq"));
    CHECK((stat_of(home + "/queue/lock").st_mode & 07777) == 0750);
    CHECK(stat_of(home + "/queue/lock/sendmutex").st_uid == uid_of("qmails"));
    CHECK(stat_of(home + "/queue/lock/trigger").st_uid == uid_of("qmails"));
    // tcpto is qmailr's in qmail; here qmail-send (qmails) delivers remote mail itself.
    CHECK(stat_of(home + "/queue/lock/tcpto").st_uid == uid_of("qmails"));
    CHECK(stat_of(home + "/queue/lock/tcpto6").st_uid == uid_of("qmails"));
    CHECK(S_ISFIFO(stat_of(home + "/queue/lock/trigger").st_mode));
    CHECK((stat_of(home + "/queue/lock/trigger").st_mode & 07777) == 0622);
    CHECK(stat_of(home + "/alias").st_uid == uid_of("alias"));
    auto qq = stat_of(home + "/bin/qmail-queue");
    CHECK(S_ISREG(qq.st_mode));
    CHECK(qq.st_uid == uid_of("qmailq"));
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
    CHECK(stat_of(mess).st_uid == uid_of("qmailq"));
    CHECK(qmtest::slurp(mess).find("invoked by uid " + std::to_string(user->uid)) !=
          std::string::npos);

    // Running qmail-install again keeps queued mail.
    r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = {{"QMAILHOME", home}}});
    REQUIRE(r.exit_code == 0);
    CHECK(fs::exists(mess));
}

// Root mode: qmail-start keeps root only in qmail-lspawn; qmail-send runs as qmails and
// each delivery runs as the recipient (never uid 0).
#include "support.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace std::string_literals;
namespace fs = std::filesystem;

TEST_CASE("root mode: qmail-send as qmails, deliveries as the recipient via qmail-lspawn",
          "[scenario][send][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    const passwd* qmails = ::getpwnam("qmails");
    REQUIRE(qmails);
    const uid_t qmails_uid = qmails->pw_uid;
    qmtest::TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    const std::string home = dir / "qmail";
    const std::map<std::string, std::string> env = {{"QMAILHOME", home}};
    auto r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = env});
    REQUIRE(r.exit_code == 0);
    qmtest::spit(home + "/control/me", "test.example\n");

    const std::string bob = dir / "bob";
    for (const char* d : {"", "/Maildir", "/Maildir/new", "/Maildir/cur", "/Maildir/tmp"}) {
        fs::create_directories(bob + d);
        ::chmod((bob + d).c_str(), 0755);
        REQUIRE(::chown((bob + d).c_str(), user->uid, user->gid) == 0);
    }
    const std::string rooty = dir / "rooty";
    fs::create_directories(rooty + "/Maildir/new");
    qmtest::spit(home + "/users/assign", "=bob:qmtest:" + std::to_string(user->uid) + ":" +
                                             std::to_string(user->gid) + ":" + bob +
                                             ":::\n=rooty:root:0:0:" + rooty + ":::\n.\n");
    r = qmtest::run({qmtest::bin("qmail-newu")}, {.env = env});
    REQUIRE(r.exit_code == 0);

    qmtest::Daemon d({qmtest::bin("qmail-start"), "./Maildir/"}, {.env = env}, dir / "start.log");
    REQUIRE(qmtest::wait_for([&] { return d.log().find("status: local") != std::string::npos; }));
    // qmail-start became qmail-send (same pid), running as qmails.
    CHECK(qmtest::proc_uid_line(d.pid()).find("\t" + std::to_string(qmails_uid) + "\t") !=
          std::string::npos);

    r = qmtest::run(
        {home + "/bin/qmail-queue"},
        {.stdin_data = "Subject: root mode\n\nhi\n",
         .fd1_input = "Fqmtest@test.example\0Tbob@test.example\0Trooty@test.example\0\0"s,
         .env = env,
         .as_user = user});
    REQUIRE(r.exit_code == 0);
    // No SIGALRM: the setuid qmailq qmail-queue (with the injector's groups) reaches
    // lock/trigger because lock/ is qmailq's, as in qmail, and its byte wakes qmail-send.
    INFO(d.log());
    REQUIRE(qmtest::wait_for([&] { return d.log().find("deferral:") != std::string::npos; }));
    REQUIRE(qmtest::wait_for([&] { return qmtest::list_dir(bob + "/Maildir/new").size() == 1; }));
    const std::string got = bob + "/Maildir/new/" + qmtest::list_dir(bob + "/Maildir/new")[0];
    struct stat st {};
    REQUIRE(::stat(got.c_str(), &st) == 0);
    CHECK(st.st_uid == user->uid); // written by the recipient, not by root or qmails
    CHECK(qmtest::slurp(got).find("Delivered-To: bob@test.example\n") != std::string::npos);
    const std::string log = d.log();
    CHECK(log.find("to local bob@test.example") != std::string::npos);
    CHECK(log.find("deliveries_as_root") != std::string::npos);
    CHECK(qmtest::list_dir(rooty + "/Maildir/new").empty());
    // todo/ and intd/ belong to qmailq: qmail-lspawn removed them for qmail-send.
    CHECK(qmtest::list_dir(home + "/queue/todo").empty());
    CHECK(qmtest::list_dir(home + "/queue/intd").empty());

    CHECK(WEXITSTATUS(d.stop(SIGTERM)) == 0);
}

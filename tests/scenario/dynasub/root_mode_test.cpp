// dynasub on a root-mode mail root: the agent home lives in ~alias (dynasub@ and
// dynasub-*@ reach ~alias/.qmail-dynasub*), so qmail-lspawn runs every agent program as
// alias; the admin runs dynasub as root and it works as alias. The "remote" list is an
// ezmlm list of the ordinary user qmtest in a virtual domain of the same mail root
// (rl@remote.test, which virtualdomains hands to joe's .qmail-rl), and bob (also
// qmtest's) is the reader.
#include "qm/lists/core/command_address.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace {

std::vector<std::string> maildir(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& f : qmtest::list_dir(dir + "/Maildir/new"))
        out.push_back(qmtest::slurp(dir + "/Maildir/new/" + f));
    return out;
}

std::string wait_mail_with(const std::string& dir, const std::string& needle) {
    std::string found;
    qmtest::wait_for([&] {
        for (auto& m : maildir(dir))
            if (m.find(needle) != std::string::npos) {
                found = std::move(m);
                return true;
            }
        return false;
    });
    return found;
}

} // namespace

TEST_CASE("root mode: the agents run as alias, and dynasub run as root works as alias",
          "[dynasub][e2e][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    const uid_t alias = qmtest::uid_of("alias");
    qmtest::TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    const std::string home = dir / "qmail";
    const std::map<std::string, std::string> env = {{"QMAILHOME", home}};
    auto r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = env});
    REQUIRE(r.exit_code == 0);
    qmtest::spit(home + "/control/me", "test.example\n");
    qmtest::spit(home + "/control/locals", "test.example\n");
    qmtest::spit(home + "/control/virtualdomains", "remote.test:joe\n");

    // bob reads mail; joe-<anything> reaches joe's .qmail-<anything> (both are qmtest's).
    const std::string bob = dir / "bob", joe = dir / "joe";
    for (const std::string& d : {bob, bob + "/Maildir", bob + "/Maildir/new", bob + "/Maildir/cur",
                                 bob + "/Maildir/tmp", joe}) {
        fs::create_directories(d);
        ::chmod(d.c_str(), 0755);
        REQUIRE(::chown(d.c_str(), user->uid, user->gid) == 0);
    }
    const std::string ids = std::to_string(user->uid) + ":" + std::to_string(user->gid) + ":";
    // dynasub@ and dynasub-*@ reach this root's ~alias/.qmail-dynasub* (alias's passwd
    // home is the system's /var/qmail, not this temporary root).
    const passwd* alias_pw = ::getpwnam("alias");
    const std::string alias_home = home + "/alias";
    const std::string alias_ids =
        std::to_string(alias_pw->pw_uid) + ":" + std::to_string(alias_pw->pw_gid) + ":";
    qmtest::spit(home + "/users/assign", "=bob:qmtest:" + ids + bob + ":::\n+joe-:qmtest:" + ids +
                                             joe + ":-::\n=dynasub:alias:" + alias_ids +
                                             alias_home + ":-:dynasub:\n+dynasub-:alias:" +
                                             alias_ids + alias_home + ":-:dynasub-:\n.\n");
    REQUIRE(qmtest::run({qmtest::bin("qmail-newu")}, {.env = env}).exit_code == 0);
    r = qmtest::run(
        {qmtest::bin("ezmlm-make"), joe + "/rl", joe + "/.qmail-rl", "rl", "remote.test"},
        {.env = env, .as_user = user});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);

    // The admin, as root, makes the agent home in ~alias: it belongs to alias.
    const std::string agents = alias_home + "/dynasub";
    const std::string bin_dir = fs::path(qmtest::bin("dynasub")).parent_path().string();
    auto dynasub = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {qmtest::bin("dynasub"), "-d", agents});
        return qmtest::run(args, {.env = env});
    };
    r = dynasub({"setup", "test.example", "dynasub", alias_home + "/.qmail-dynasub", bin_dir, "0"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(fs::exists(alias_home + "/.qmail-dynasub-default"));

    qmtest::Daemon send({qmtest::bin("qmail-start"), "./Maildir/"}, {.env = env},
                        dir / "start.log");
    REQUIRE(
        qmtest::wait_for([&] { return send.log().find("status: local") != std::string::npos; }));
    auto mail = [&](const std::string& to, const std::string& subject) {
        auto q = qmtest::run({qmtest::bin("qmail-inject"), "-f", "bob@test.example", to},
                             {.stdin_data = "From: bob@test.example\nTo: " + to +
                                            "\nSubject: " + subject + "\n\nx\n",
                              .env = env,
                              .as_user = user});
        INFO(q.err);
        REQUIRE(q.exit_code == 0);
    };

    // bob asks, confirms; the agent (as alias) answers the list's confirmation.
    mail("dynasub-subscribe-rl=remote.test@test.example", "join");
    const std::string confirm = wait_mail_with(bob, "Subject: confirm join rl@remote.test");
    INFO(send.log());
    REQUIRE(confirm != "");
    std::smatch m;
    static const std::regex reply_to("Reply-To: (dynasub-confirm-[a-p]{20}@test.example)");
    REQUIRE(std::regex_search(confirm, m, reply_to));
    mail(m[1], "yes");
    const std::string welcome = wait_mail_with(bob, "Subject: welcome to rl@remote.test (through");
    INFO(send.log());
    REQUIRE(welcome != "");
    REQUIRE(qmtest::wait_for([&] {
        return dynasub({"list"}).out.find(" active 1 readers rl@remote.test") != std::string::npos;
    }));
    mail("rl@remote.test", "a post in root mode");
    const std::string post = wait_mail_with(bob, "Subject: a post in root mode");
    REQUIRE(post != "");
    CHECK(post.find("Return-Path: <dynasub-r-") != std::string::npos);

    // Everything in the agent home is alias's (made by root's dynasub, or by deliveries).
    for (const auto& e : fs::recursive_directory_iterator(agents)) {
        struct stat st {};
        REQUIRE(::lstat(e.path().c_str(), &st) == 0);
        INFO(e.path());
        CHECK(st.st_uid == alias);
    }
    CHECK(qmtest::slurp(agents + "/Log").find("active: ") != std::string::npos);
    CHECK(send.log().find("deliveries_as_root") == std::string::npos);

    // Run as root, the delivery programs refuse; a home of root's is refused.
    r = qmtest::run({qmtest::bin("dynasub-gate"), agents, "x"}, {.stdin_data = "\n", .env = env});
    CHECK(r.exit_code == 111);
    CHECK(r.err.find("refusing to run as root") != std::string::npos);
    r = qmtest::run({qmtest::bin("dynasub"), "-d", dir / "rooty", "setup", "test.example", "d",
                     dir / ".qmail-d", bin_dir},
                    {.env = env});
    CHECK(r.exit_code == 100);
    CHECK(r.err.find("belongs to root") != std::string::npos);
    send.stop();
}

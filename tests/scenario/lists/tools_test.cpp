// The command-line side of the subscriber store: ezmlm-sub and ezmlm-unsub with
// addresses, in bulk from stdin or a file, into sub-databases; ezmlm-list; ezmlm-issubn's
// exit codes as ezmlm-idx has them.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace {

struct List {
    qmtest::TempDir tmp;
    std::string dir = tmp / "l";
    List() {
        auto r =
            qmtest::run({qmtest::bin("ezmlm-make"), dir, tmp / ".qmail-l", "l", "lists.example"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    [[nodiscard]] std::string list(const std::string& sub = "") const {
        std::vector<std::string> argv{qmtest::bin("ezmlm-list"), dir};
        if (!sub.empty())
            argv.push_back(sub);
        return qmtest::run(argv).out;
    }
    [[nodiscard]] int issubn(const std::vector<std::string>& args, const char* sender) const {
        std::vector<std::string> argv{qmtest::bin("ezmlm-issubn")};
        argv.insert(argv.end(), args.begin(), args.end());
        qmtest::RunOptions o;
        if (sender)
            o.env["SENDER"] = sender;
        else
            o.unset_env = {"SENDER"};
        return qmtest::run(argv, o).exit_code;
    }
};

} // namespace

TEST_CASE("bulk subscription from stdin and from a file", "[scenario][lists][tools]") {
    List l;
    auto r =
        qmtest::run({qmtest::bin("ezmlm-sub"), l.dir}, {.stdin_data = "# readers\n"
                                                                      "a@x.example\n"
                                                                      "\n"
                                                                      "  B@X.EXAMPLE   Bee Name\n"
                                                                      "not-an-address\n"
                                                                      "a@X.example\n"});
    CHECK(r.exit_code == 100); // one bad line; the good ones are in
    CHECK(r.err.find("line 5: address does not contain @: not-an-address") != std::string::npos);
    CHECK(qmtest::run({qmtest::bin("ezmlm-list"), "-n", l.dir}).out == "2\n");
    CHECK(l.list().find("B@x.example\n") != std::string::npos);

    qmtest::spit(l.tmp / "more", "c@y.example\nd@y.example\n");
    CHECK(qmtest::run({qmtest::bin("ezmlm-sub"), "-f", l.tmp / "more", l.dir}).exit_code == 0);
    CHECK(qmtest::run({qmtest::bin("ezmlm-list"), "-n", l.dir}).out == "4\n");
    CHECK(qmtest::run({qmtest::bin("ezmlm-unsub"), l.dir}, {.stdin_data = "c@y.example\n"})
              .exit_code == 0);
    CHECK(qmtest::run({qmtest::bin("ezmlm-unsub"), l.dir, "A@x.example"}).exit_code == 0);
    CHECK(qmtest::run({qmtest::bin("ezmlm-list"), "-n", l.dir}).out == "2\n");
    // A bad address on the command line changes nothing.
    auto bad = qmtest::run({qmtest::bin("ezmlm-sub"), l.dir, "e@y.example", "nope"});
    CHECK(bad.exit_code == 100);
    CHECK(bad.err == "ezmlm-sub: fatal: address does not contain @: nope (#5.1.3)\n");
    CHECK(qmtest::run({qmtest::bin("ezmlm-list"), "-n", l.dir}).out == "2\n");
}

TEST_CASE("sub-databases and ezmlm-issubn", "[scenario][lists][tools]") {
    List l;
    REQUIRE(qmtest::run({qmtest::bin("ezmlm-sub"), l.dir, "a@x.example"}).exit_code == 0);
    REQUIRE(qmtest::run({qmtest::bin("ezmlm-sub"), l.dir, "allow", "poster@y.example"}).exit_code ==
            0);
    CHECK(l.list("allow") == "poster@y.example\n");
    CHECK(l.list().find("poster") == std::string::npos);
    CHECK(l.issubn({l.dir}, "A@X.example") == 0);
    CHECK(l.issubn({l.dir}, "poster@y.example") == 99);
    CHECK(l.issubn({l.dir, l.dir + "/allow"}, "poster@y.example") == 0);
    CHECK(l.issubn({"-n", l.dir}, "a@x.example") == 99);
    CHECK(l.issubn({"-n", l.dir}, "z@x.example") == 0);
    CHECK(l.issubn({l.dir}, nullptr) == 100);
    // A relative dir is relative to the working directory, as in ezmlm-idx 7; one that is
    // not there is temporary trouble.
    CHECK(l.issubn({"relative"}, "a@x.example") == 111);
    CHECK(qmtest::run({qmtest::bin("ezmlm-sub"), l.dir, "nosuchdb", "a@b"}).exit_code == 100);
}

TEST_CASE("ezmlm-make run as root works on a user's list as that user",
          "[scenario][lists][tools][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    qmtest::TempDir tmp;
    ::chmod(tmp.path().c_str(), 0755);
    const std::string home = tmp / "home";
    fs::create_directories(home);
    REQUIRE(::chown(home.c_str(), user->uid, user->gid) == 0);
    // Made by root in the user's home: every file is the user's.
    const std::string dir = home + "/list";
    auto made = qmtest::run(
        {qmtest::bin("ezmlm-make"), "-d", dir, home + "/.qmail-list", "list", "lists.example"});
    INFO(made.err);
    REQUIRE(made.exit_code == 0);
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        struct stat st {};
        REQUIRE(::lstat(entry.path().c_str(), &st) == 0);
        INFO(entry.path());
        CHECK(st.st_uid == user->uid);
    }
    struct stat dot {};
    REQUIRE(::lstat((home + "/.qmail-list").c_str(), &dot) == 0);
    CHECK(dot.st_uid == user->uid);

    // The user swaps the digest directory for a symlink to a directory of root's: root's
    // next edit writes nothing there (it runs as the user, who may not), and fails.
    const std::string roots = tmp / "roots";
    fs::create_directories(roots);
    ::chmod(roots.c_str(), 0755);
    fs::remove_all(dir + "/digest");
    REQUIRE(::symlink(roots.c_str(), (dir + "/digest").c_str()) == 0);
    REQUIRE(::lchown((dir + "/digest").c_str(), user->uid, user->gid) == 0);
    auto edited = qmtest::run({qmtest::bin("ezmlm-make"), "-+", "-d", dir});
    INFO(edited.err);
    CHECK(edited.exit_code != 0);
    CHECK(qmtest::list_dir(roots).empty());

    // A symlinked list directory is the user's too: root does not follow it as root.
    fs::remove(dir + "/digest");
    const std::string link = home + "/elsewhere";
    REQUIRE(::symlink(roots.c_str(), link.c_str()) == 0);
    REQUIRE(::lchown(link.c_str(), user->uid, user->gid) == 0);
    auto into_link = qmtest::run(
        {qmtest::bin("ezmlm-make"), "-e", link, home + "/.qmail-x", "x", "lists.example"});
    CHECK(into_link.exit_code != 0);
    CHECK(qmtest::list_dir(roots).empty());
}

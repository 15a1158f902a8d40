// A full disk must give a temporary failure and leave nothing half-queued. Needs root to
// mount a small tmpfs; skipped (with a message) otherwise.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>

using namespace std::string_literals;
namespace fs = std::filesystem;

TEST_CASE("qmail-queue on a full disk fails temporarily and leaves no message",
          "[scenario][queue][disk]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: cannot mount a tmpfs, full-disk test");
    qmtest::TempDir mnt;
    REQUIRE(::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=512k,mode=0755") == 0);
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{mnt.path()};

    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    std::string home = mnt / "root";
    fs::create_directories(home);
    REQUIRE(::chown(home.c_str(), user->uid, user->gid) == 0);
    qmtest::RunOptions install{.env = {{"QMAILHOME", home}}, .as_user = user};
    REQUIRE(qmtest::run({qmtest::bin("qmail-install"), home}, install).exit_code == 0);

    // A small message fits; a 1 MiB one cannot.
    qmtest::RunOptions small{.stdin_data = "Subject: small\n\nx\n",
                             .fd1_input = "Fa@b\0Tc@d\0\0"s,
                             .env = {{"QMAILHOME", home}},
                             .as_user = user};
    CHECK(qmtest::run({qmtest::bin("qmail-queue")}, small).exit_code == 0);
    auto before = qmtest::list_dir(home + "/queue/todo");
    REQUIRE(before.size() == 1);

    qmtest::RunOptions big = small;
    big.stdin_data = "Subject: big\n\n" + std::string(1 << 20, 'x') + "\n";
    auto r = qmtest::run({qmtest::bin("qmail-queue")}, big);
    CHECK(r.exit_code == 53); // qq write error or disk full: temporary
    CHECK(qmtest::list_dir(home + "/queue/todo") == before);
    CHECK(qmtest::list_dir(home + "/queue/intd") == before);
    size_t mess_files = 0;
    for (auto& e : fs::recursive_directory_iterator(home + "/queue/mess"))
        if (e.is_regular_file())
            ++mess_files;
    CHECK(mess_files == 1); // only the small message
    CHECK(qmtest::list_dir(home + "/queue/pid").empty());
}

TEST_CASE("local delivery on a full disk defers and leaves the mailbox as it was",
          "[scenario][local][disk]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: cannot mount a tmpfs, full-disk test");
    qmtest::MailRoot root;
    qmtest::TempDir mnt;
    REQUIRE(::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=512k,mode=0755") == 0);
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{mnt.path()};
    auto user = qmtest::unprivileged_test_user();
    REQUIRE(user);
    const std::string home = mnt / "joe";
    for (const char* d : {"/Maildir/new", "/Maildir/cur", "/Maildir/tmp"})
        fs::create_directories(home + d);
    qmtest::spit(home + "/Mailbox", "From a@b Thu Jan  1 00:00:00 1970\nSubject: old\n\nold\n\n",
                 0600);
    for (auto& e : fs::recursive_directory_iterator(home))
        REQUIRE(::chown(e.path().c_str(), user->uid, user->gid) == 0);
    REQUIRE(::chown(home.c_str(), user->uid, user->gid) == 0);
    const std::string mbox_before = qmtest::slurp(home + "/Mailbox");

    const std::string big = "Subject: big\n\n" + std::string(1 << 20, 'x') + "\n";
    auto deliver = [&](const std::string& dflt) {
        return qmtest::run({qmtest::bin("qmail-local"), "--", "joe", home, "joe", "", "",
                            "test.example", "ann@example.org", dflt},
                           {.stdin_data = big, .env = root.env(), .as_user = user});
    };
    auto r = deliver("./Maildir/");
    CHECK(r.exit_code == 111);
    CHECK(r.err.find("(#4.3.0)") != std::string::npos);
    INFO(r.err);
    CHECK(qmtest::list_dir(home + "/Maildir/new").empty());
    CHECK(qmtest::list_dir(home + "/Maildir/tmp").empty()); // the partial file is removed

    r = deliver("./Mailbox");
    CHECK(r.exit_code == 111);
    INFO(r.err);
    CHECK(qmtest::slurp(home + "/Mailbox") == mbox_before); // truncated back, not half-appended
}

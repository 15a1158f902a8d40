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

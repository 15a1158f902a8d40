// A full disk must give a temporary failure and leave nothing half-queued. Needs root to
// mount a small tmpfs; skipped (with a message) otherwise.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <random>

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

namespace {

// Bytes a file system has left for an unprivileged writer.
size_t free_bytes(const std::string& path) {
    struct statvfs s {};
    REQUIRE(::statvfs(path.c_str(), &s) == 0);
    return static_cast<size_t>(s.f_bavail) * s.f_bsize;
}

// Text zstd cannot shrink much (6 bits of entropy a byte), in lines.
std::string incompressible(size_t size) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::mt19937 rng(7);
    std::string s;
    while (s.size() < size)
        s += (s.size() % 77 == 76) ? '\n' : alphabet[rng() % 64];
    return s;
}

} // namespace

TEST_CASE("journal: a full disk fails the journal's write temporarily, and qmail-journald "
          "goes on once there is room",
          "[scenario][journal][disk]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: cannot mount a tmpfs, full-disk test");
    qmtest::TempDir mnt, logs;
    // 8 MiB: the journal's first segment keeps 1 MiB ahead of its records.
    REQUIRE(::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=8m,mode=0755") == 0);
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{mnt.path()};
    qmtest::MailRoot root(mnt.path());
    root.add_user("alice");
    root.control("journal", "1\n");
    // Its log off the full disk: a daemon that cannot log would be another test.
    auto journald = std::make_unique<qmtest::Daemon>(
        std::vector<std::string>{qmtest::bin("qmail-journald")},
        qmtest::RunOptions{.env = root.env(), .as_user = root.user()}, logs / "journald.log");
    REQUIRE(qmtest::wait_for(
        [&] { return journald->log().find("status: journal ready") != std::string::npos; }));
    auto queue = [&](const std::string& subject, const std::string& body) {
        return root.run({qmtest::bin("qmail-queue")},
                        {.stdin_data = "Subject: " + subject + "\n\n" + body,
                         .fd1_input = "Fdave@test.example\0Talice@test.example\0\0"s});
    };
    auto mess_files = [&] {
        size_t n = 0;
        for (auto& e : fs::recursive_directory_iterator(root / "queue/mess"))
            n += e.is_regular_file() ? 1 : 0;
        return n;
    };
    REQUIRE(queue("before", "x\n").exit_code == 0);

    // Room for the message in mess/, not for its record too, beyond the zeros qmail-journald
    // keeps ahead of its records (qmail-journal(5)): its write fails, and so does the
    // message, temporarily.
    const size_t room = free_bytes(root.home());
    auto r = queue("big", incompressible(room * 85 / 100));
    INFO(r.err);
    CHECK(r.exit_code == 53); // write error: temporary (qmail-queue(8): 11 to 40 permanent)
    CHECK(journald->log().find("failed temporarily") != std::string::npos);
    CHECK(qmtest::queued_messages(root.home()).size() == 1);
    CHECK(qmtest::list_dir(root / "queue/intd").size() == 1);
    CHECK(mess_files() == 1);
    // The failed write touched no record: the segment checks whole, and takes the next one.
    auto check = root.run({qmtest::bin("qmail-journal"), "-c"});
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
    REQUIRE(queue("after", "y\n").exit_code == 0);

    // No room at all: the queue files cannot be written (qmail-queue's own 53). Once there
    // is room again, the next message goes through, into the journal's room kept ahead.
    const std::string filler = mnt / "filler";
    {
        const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        const std::string page(4096, 'f');
        while (::write(fd, page.data(), page.size()) == static_cast<ssize_t>(page.size())) {
        }
        ::close(fd);
    }
    r = queue("no room", "z\n");
    CHECK(r.exit_code == 53);
    fs::remove(filler);
    r = queue("room again", "w\n");
    INFO(r.err << journald->log());
    CHECK(r.exit_code == 0);
    check = root.run({qmtest::bin("qmail-journal"), "-c"});
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);

    // Every message that got 0 is delivered; no other.
    auto send = std::make_unique<qmtest::Daemon>(
        std::vector<std::string>{qmtest::bin("qmail-send"), "./Maildir/"},
        qmtest::RunOptions{.env = root.env(), .as_user = root.user()}, logs / "send.log");
    const std::string maildir = root / "users/alice/Maildir/new/";
    const size_t accepted = r.exit_code == 0 ? 3 : 2;
    REQUIRE(qmtest::wait_for([&] { return qmtest::list_dir(maildir).size() == accepted; }));
    std::string subjects;
    for (const auto& f : qmtest::list_dir(maildir)) {
        const std::string m = qmtest::slurp(maildir + f);
        subjects += m.substr(m.find("Subject: ")) + "|";
    }
    CHECK(qmtest::count_of(subjects, "Subject: before\n") == 1);
    CHECK(qmtest::count_of(subjects, "Subject: after\n") == 1);
    CHECK(qmtest::count_of(subjects, "big") == 0);
    CHECK(qmtest::count_of(subjects, "no room") == 0);
    CHECK(qmtest::count_of(subjects, "room again") == (r.exit_code == 0 ? 1 : 0));
    send->stop();
    journald->stop();
}

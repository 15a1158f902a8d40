// The queue across a simulated power cut (support/powercut.hpp has the model): every
// program of the mail root records its changes and flushes; at a random moment the whole
// process group, writers included, is killed; the disk as the power cut would leave it is
// rebuilt in a fresh directory from the snapshot taken before and the changes that had been
// flushed; the MTA started there must deliver every message qmail-queue said 0 for, each
// copy whole. With control/journal 1 and in the classic mode (an fsync per queue file).
// QM_POWERCUT_ROUNDS sets the cuts per mode (default 3), QM_POWERCUT_SEED the moments.
#include "powercut.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// Unique by its number, of a size that varies with it, so that a copy cut short or mixed
// with another shows.
std::string message(int n) {
    std::string m = "Message-ID: <" + std::to_string(n) +
                    "@powercut.test.example>\nSubject: powercut " + std::to_string(n) + "\n\n";
    for (int line = 0; line < 1 + (n * 37) % 120; ++line)
        m += "line " + std::to_string(line) + " of message " + std::to_string(n) + "\n";
    return m;
}

size_t queue_files(const std::string& home) {
    size_t n = qmtest::list_dir(home + "/queue/todo").size();
    for (int split = 0; split < 23; ++split)
        n += qmtest::list_dir(home + "/queue/info/" + std::to_string(split)).size();
    return n;
}

// Where the mail root runs before the cut: a tmpfs, whose inode numbers (small, counted
// from 1) cannot meet those ext4 or another file system hands out in the rebuilt root.
// The queue names messages by inode number (mess/S/N has inode N); a power cut keeps
// inode numbers, a rebuild cannot, and a file new in the rebuilt root must not get the
// number of a message the cut brought back.
std::string run_parent() {
    struct statfs s {};
    if (::statfs("/dev/shm", &s) == 0 && s.f_type == TMPFS_MAGIC && ::access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return fs::temp_directory_path().string();
}

struct Totals {
    size_t accepted = 0, refused = 0, delivered = 0, lost = 0, twice = 0, damaged = 0;
    size_t flushes = 0, syncs = 0, stale_files = 0, lost_names = 0, noted = 0;
    size_t held = 0, repaired = 0, requeued = 0; // qmail-journald's recovery
};

void one_cut(bool journal, std::mt19937& rng, std::atomic<int>& next, Totals& totals) {
    qmtest::MailRoot root(run_parent());
    const std::string alice = root.add_user("alice");
    // A slow delivery keeps messages queued at the cut, not only being queued.
    qmtest::spit(alice + "/.qmail", "|sleep 0.2\n./Maildir/\n");
    root.give_to_user(alice + "/.qmail");
    if (journal)
        root.control("journal", "1\n");
    qmtest::TempDir work;
    const std::string log = work / "powercut.log";
    qmtest::spit(log, "", 0666);
    const auto snap = qmtest::powercut::snapshot(root.home(), work / "snapshot");
    auto recording = root.env();
    recording.merge(qmtest::powercut::shim_env(root.home(), log));

    auto mta = std::make_unique<qmtest::Daemon>(
        std::vector<std::string>{qmtest::bin("qmail-start"), "./Maildir/"},
        qmtest::RunOptions{.env = recording, .as_user = root.user()}, work / "start.log");
    REQUIRE(
        qmtest::wait_for([&] { return mta->log().find("status: local") != std::string::npos; }));
    const int group = mta->pid();

    std::atomic<bool> running{true};
    std::mutex lock;
    std::vector<int> accepted;
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t)
        writers.emplace_back([&] {
            while (running) {
                const int n = next.fetch_add(1);
                // In the daemons' process group: the cut stops them at the same moment.
                auto r = root.run({qmtest::bin("qmail-queue")},
                                  {.stdin_data = message(n),
                                   .fd1_input = "Fdave@test.example\0Talice@test.example\0\0"s,
                                   .env = recording,
                                   .process_group = group});
                std::lock_guard g(lock);
                if (r.exit_code == 0)
                    accepted.push_back(n);
                else
                    ++totals.refused;
            }
        });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 900)(rng)));
    mta->stop(SIGKILL); // the cut
    running = false;
    for (auto& w : writers)
        w.join();
    // A process killed with the group leader may still be on its way out; once gone it
    // cannot add a record.
    (void)qmtest::wait_for([&] { return ::kill(-group, 0) != 0; }, std::chrono::seconds(5));

    // The rebuilt disk, on another file system than the run's when /dev/shm served.
    qmtest::TempDir rebuilt;
    const auto stats = qmtest::powercut::replay(snap, log, rebuilt.path());
    root.give_to_user(rebuilt.path());
    totals.flushes += stats.flushes;
    totals.syncs += stats.syncs;
    totals.stale_files += stats.stale_files;
    totals.lost_names += stats.lost_names;
    totals.noted += stats.noted;
    INFO("replay: " << stats.records << " records, " << stats.flushes << " flushes (" << stats.syncs
                    << " syncfs/sync), " << stats.unflushed << " cut mid-flush, " << stats.files
                    << " files, " << stats.stale_files << " of them stale, " << stats.lost_names
                    << " names lost");
    CHECK(stats.unknown_inodes == 0);

    const std::string home = rebuilt.path();
    // The disk comes back at another path: alice's home, in users/assign, moves with it.
    std::string assign = qmtest::slurp(home + "/users/assign");
    for (size_t at = 0; (at = assign.find(root.home() + "/", at)) != std::string::npos;
         at += home.size())
        assign.replace(at, root.home().size(), home);
    qmtest::spit(home + "/users/assign", assign);
    root.give_to_user(home + "/users/assign");
    REQUIRE(qmtest::run({qmtest::bin("qmail-newu")},
                        {.env = {{"QMAILHOME", home}}, .as_user = root.user()})
                .exit_code == 0);
    auto again = std::make_unique<qmtest::Daemon>(
        std::vector<std::string>{qmtest::bin("qmail-start"), "./Maildir/"},
        qmtest::RunOptions{.env = {{"QMAILHOME", home}}, .as_user = root.user()},
        work / "restart.log");
    CHECK(
        qmtest::wait_for([&] { return again->log().find("status: local") != std::string::npos; }));
    // Until the queue is empty, or nothing has moved for 30 s (a message stuck for good).
    const std::string maildir = home + "/users/alice/Maildir/";
    auto progress = [&] {
        return std::to_string(queue_files(home)) + "/" +
               std::to_string(qmtest::list_dir(maildir + "new").size()) + "/" +
               std::to_string(again->log().size());
    };
    std::string last = progress();
    auto moved = std::chrono::steady_clock::now();
    (void)qmtest::wait_for(
        [&] {
            if (queue_files(home) == 0)
                return true;
            if (auto now = progress(); now != last) {
                last = now;
                moved = std::chrono::steady_clock::now();
            }
            return std::chrono::steady_clock::now() - moved > std::chrono::seconds(30);
        },
        std::chrono::seconds(300));
    INFO("after the restart:\n" << again->log());
    CHECK(queue_files(home) == 0);
    again->stop();
    // What qmail-journald put back: "journal: recovered: H held, W whole, R repaired, Q
    // queued again, D delivered".
    static const std::regex recovered(
        "journal: recovered: ([0-9]+) held, [0-9]+ whole, ([0-9]+) repaired, ([0-9]+) queued");
    const std::string restart_log = again->log();
    if (std::smatch m; std::regex_search(restart_log, m, recovered)) {
        totals.held += std::stoul(m[1]);
        totals.repaired += std::stoul(m[2]);
        totals.requeued += std::stoul(m[3]);
    }

    std::map<int, std::vector<std::string>> copies;
    size_t damaged = 0;
    for (const char* sub : {"new/", "cur/"})
        for (const auto& f : qmtest::list_dir(maildir + sub)) {
            const std::string m = qmtest::slurp(maildir + sub + f);
            const auto at = m.find("\nSubject: powercut ");
            const int n = at == std::string::npos ? -1 : std::atoi(m.c_str() + at + 19);
            // Return-Path, Delivered-To and qmail-queue's Received line, then the message.
            if (n < 0 || !m.ends_with("\n" + message(n)) || !m.starts_with("Return-Path: ")) {
                UNSCOPED_INFO("damaged: " << sub << f << " (" << m.size() << " bytes)");
                ++damaged;
                continue;
            }
            copies[n].push_back(m);
        }
    size_t lost = 0, twice = 0, differing = 0;
    std::string lost_list;
    for (int n : accepted)
        if (!copies.contains(n)) {
            lost_list += " " + std::to_string(n);
            ++lost;
        }
    INFO("lost:" << lost_list);
    if (const char* keep = std::getenv("QM_POWERCUT_KEEP"); keep && lost > 0) {
        // For a post-mortem: the log, the snapshot and the rebuilt root.
        const std::string to = std::string(keep) + "/" + std::to_string(::getpid()) + "." +
                               std::to_string(next.load());
        fs::create_directories(to);
        (void)qmtest::run({"/bin/cp", "-a", work.path(), to + "/work"});
        (void)qmtest::run({"/bin/cp", "-a", home, to + "/rebuilt"});
        WARN("kept in " << to);
    }
    for (const auto& [n, c] : copies) {
        CHECK(n < next.load()); // nothing the writers did not send
        twice += c.size() > 1 ? 1 : 0;
        for (const auto& other : c)
            differing += other != c.front() ? 1 : 0;
    }
    totals.accepted += accepted.size();
    totals.delivered += copies.size();
    totals.lost += lost;
    totals.twice += twice;
    totals.damaged += damaged;
    CHECK(lost == 0);
    CHECK(damaged == 0);
    CHECK(differing == 0);
}

} // namespace

TEST_CASE("power cut: every message qmail-queue accepted is delivered whole, journal or not",
          "[scenario][journal][crash][powercut]") {
    const bool journal = GENERATE(true, false);
    const char* env_rounds = std::getenv("QM_POWERCUT_ROUNDS");
    const int rounds = env_rounds ? std::atoi(env_rounds) : 3;
    const char* env_seed = std::getenv("QM_POWERCUT_SEED");
    const unsigned seed =
        env_seed ? static_cast<unsigned>(std::stoul(env_seed)) : std::random_device{}();
    INFO("QM_POWERCUT_SEED=" << seed << (journal ? " journal" : " classic"));
    std::mt19937 rng(seed);
    std::atomic<int> next{0};
    Totals t;
    for (int round = 0; round < rounds; ++round) {
        INFO("cut " << round);
        one_cut(journal, rng, next, t);
    }
    WARN("power cut, " << (journal ? "control/journal 1" : "classic") << ", seed " << seed << ": "
                       << rounds << " cuts, " << t.accepted << " accepted, " << t.refused
                       << " refused, " << t.delivered << " delivered, " << t.lost << " lost, "
                       << t.twice << " delivered twice, " << t.damaged << " damaged; the disks: "
                       << t.flushes << " flushes, " << t.syncs << " syncfs, " << t.noted
                       << " sync_file_range, " << t.stale_files << " files stale, " << t.lost_names
                       << " names lost; recovery: " << t.held << " held in the journal, "
                       << t.repaired << " repaired, " << t.requeued << " queued again");
    CHECK(t.accepted > 0);
    // The model must bite: a cut that loses nothing unflushed would prove nothing.
    CHECK(t.lost_names + t.stale_files > 0);
}

TEST_CASE("power cut: the rebuilt disk holds what was flushed, and only that",
          "[scenario][powercut]") {
    // The model itself, through real programs (sh, mv, coreutils' sync), so that the
    // test above cannot pass on a replay that keeps everything.
    qmtest::TempDir top(run_parent()), work;
    const std::string root = top.path();
    for (const char* d : {"/d", "/d1", "/d2", "/d3"})
        fs::create_directories(root + d);
    qmtest::spit(root + "/d/old", "old\n");
    const auto snap = qmtest::powercut::snapshot(root, work / "snapshot");
    const std::string log = work / "powercut.log";
    qmtest::spit(log, "", 0600);
    auto sh = [&](const std::string& script) {
        auto r = qmtest::run({"/bin/sh", "-c", script},
                             {.env = qmtest::powercut::shim_env(root, log), .cwd = root});
        INFO(script << "\n" << r.err);
        REQUIRE(r.exit_code == 0);
    };
    // Path -> content of the regular files in the state the log leads to.
    auto rebuilt = [&] {
        qmtest::TempDir out;
        (void)qmtest::powercut::replay(snap, log, out.path());
        std::map<std::string, std::string> files;
        for (const auto& e : fs::recursive_directory_iterator(out.path()))
            if (e.is_regular_file())
                files[e.path().lexically_relative(out.path()).string()] =
                    qmtest::slurp(e.path().string());
        return files;
    };

    sh("echo a > d1/f && sync d1/f"                 // data flushed, not the name
       " && echo b > d2/f && sync d2"               // the name flushed, not the data
       " && echo c > d3/f && sync d3/f d3"          // both
       " && echo more >> d/old"                     // nothing
       " && echo e > d/e && mv d/e d/g && sync d"); // a rename in one flushed directory
    auto files = rebuilt();
    CHECK_FALSE(files.contains("d1/f"));
    CHECK(files["d2/f"].empty()); // the name, without the data: ext4's empty file
    CHECK(files["d3/f"] == "c\n");
    CHECK(files["d/old"] == "old\n");
    CHECK_FALSE(files.contains("d/e"));
    CHECK(files["d/g"].empty());

    // A rename between directories is two entries, each durable with its directory.
    sh("mv d3/f d2/moved && sync d2");
    files = rebuilt();
    CHECK(files["d2/moved"] == "c\n");
    CHECK(files["d3/f"] == "c\n"); // its removal from d3 not flushed: both names

    // sync(2) makes everything before it durable.
    sh("sync");
    files = rebuilt();
    CHECK(files["d1/f"] == "a\n");
    CHECK(files["d2/f"] == "b\n");
    CHECK_FALSE(files.contains("d3/f"));
    CHECK(files["d/old"] == "old\nmore\n");
    CHECK(files["d/g"] == "e\n");
}

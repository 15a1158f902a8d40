// The journal under SIGKILL: qmail-start's whole process group (qmail-send, qmail-journald
// and the deliveries in qmail-send's threads) is killed at random moments while four
// writers queue through qmail-queue, then started again; at the end every message
// qmail-queue said 0 for has been delivered, and none twice. QM_CRASH_ROUNDS sets the
// number of kills (default 8; bench/RESULTS.md has a run of 500).
#include "support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

using namespace std::string_literals;

namespace {

size_t queue_files(const qmtest::MailRoot& root) {
    return qmtest::list_dir(root / "queue/todo").size() +
           qmtest::preprocessed_messages(root.home());
}

} // namespace

TEST_CASE("journal: SIGKILL of every daemon at random moments loses no accepted message",
          "[scenario][journal][crash]") {
    const char* env_rounds = std::getenv("QM_CRASH_ROUNDS");
    const int rounds = env_rounds ? std::atoi(env_rounds) : 8;
    qmtest::MailRoot root;
    root.add_user("alice");
    root.control("journal", "1\n");
    std::mt19937 rng(std::random_device{}());
    std::atomic<int> next{0};
    std::mutex lock;
    std::vector<int> accepted;
    int refused = 0;
    for (int round = 0; round < rounds; ++round) {
        auto mta = root.start({qmtest::bin("qmail-start"), "./Maildir/"},
                              "start-" + std::to_string(round) + ".log");
        REQUIRE(qmtest::wait_for(
            [&] { return mta->log().find("status: local") != std::string::npos; }));
        std::atomic<bool> running{true};
        std::vector<std::thread> writers;
        for (int t = 0; t < 4; ++t)
            writers.emplace_back([&] {
                while (running) {
                    const int n = next.fetch_add(1);
                    auto r = root.run(
                        {qmtest::bin("qmail-queue")},
                        {.stdin_data = "Subject: crash " + std::to_string(n) + "\n\nbody\n",
                         .fd1_input = "Fdave@test.example\0Talice@test.example\0\0"s});
                    std::lock_guard g(lock);
                    if (r.exit_code == 0)
                        accepted.push_back(n);
                    else
                        ++refused;
                }
            });
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 400)(rng)));
        mta->stop(SIGKILL); // the whole group, mid-whatever
        running = false;
        for (auto& w : writers)
            w.join();
    }
    // A last start drains the queue.
    auto mta = root.start({qmtest::bin("qmail-start"), "./Maildir/"}, "start-last.log");
    REQUIRE(qmtest::wait_for([&] { return queue_files(root) == 0; }, std::chrono::seconds(120)));
    std::map<int, int> delivered;
    for (const auto& f : qmtest::list_dir(root / "users/alice/Maildir/new")) {
        const std::string m = qmtest::slurp(root / ("users/alice/Maildir/new/" + f));
        const auto at = m.find("Subject: crash ");
        REQUIRE(at != std::string::npos);
        ++delivered[std::stoi(m.substr(at + 15))];
    }
    int lost = 0, twice = 0, unasked = 0;
    for (int n : accepted)
        lost += delivered.count(n) == 0 ? 1 : 0;
    for (const auto& [n, count] : delivered) {
        twice += count > 1 ? 1 : 0;
        unasked += n >= next.load() ? 1 : 0;
    }
    WARN("journal crash test: " << rounds << " kills, " << accepted.size() << " accepted, "
                                << refused << " refused, " << delivered.size() << " delivered, "
                                << lost << " lost, " << twice << " delivered twice");
    CHECK(accepted.size() > 0);
    CHECK(lost == 0);
    CHECK(unasked == 0);
    // A delivery finished just before the kill and not yet marked is made again, as in
    // qmail, but finds its file (a journaled message's maildir name is the same on every
    // attempt) and writes none: nothing twice.
    CHECK(twice == 0);
}

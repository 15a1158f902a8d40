// Crash safety: 500 injections while qmail-queue and qmail-send are killed with SIGKILL
// at random moments. Afterwards, with qmail-send restarted: every message whose
// qmail-queue exited 0 is delivered, every delivered file is complete (nothing
// half-written is ever delivered), and the queue holds no live state.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// Starts qmail-queue with the message and envelope as files on fd 0 and fd 1.
pid_t start_queue(const qmtest::MailRoot& root, const std::string& msg_path,
                  const std::string& env_path) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int in = ::open(msg_path.c_str(), O_RDONLY);
        int env = ::open(env_path.c_str(), O_RDONLY);
        ::dup2(in, 0);
        ::dup2(env, 1);
        for (int fd = 3; fd < 1024; ++fd)
            ::close(fd);
        ::setenv("QMAILHOME", root.home().c_str(), 1);
        if (auto u = root.user()) {
            ::setgroups(0, nullptr);
            if (::setgid(u->gid) != 0 || ::setuid(u->uid) != 0)
                ::_exit(126);
        }
        std::string prog = qmtest::bin("qmail-queue");
        ::execl(prog.c_str(), prog.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

struct Delivered {
    std::map<int, int> copies; // message number -> copies found
    std::vector<std::string> broken;
};

Delivered scan(const std::string& maildir_new) {
    Delivered d;
    for (const auto& name : qmtest::list_dir(maildir_new)) {
        std::string body = qmtest::slurp(maildir_new + "/" + name);
        auto at = body.find("X-Crash-Id: ");
        if (at == std::string::npos) {
            d.broken.push_back(name);
            continue;
        }
        int id = std::stoi(body.substr(at + 12));
        std::string tail = "\nend of message " + std::to_string(id) + "\n";
        auto size_at = body.find("X-Crash-Size: ");
        size_t filler = size_at == std::string::npos ? 0 : std::stoul(body.substr(size_at + 14));
        bool complete = body.size() >= tail.size() &&
                        body.compare(body.size() - tail.size(), tail.size(), tail) == 0 &&
                        body.find(std::string(filler, 'z')) != std::string::npos;
        if (!complete)
            d.broken.push_back(name);
        else
            ++d.copies[id];
    }
    return d;
}

size_t files_in(const std::string& dir) {
    size_t n = 0;
    for (auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file())
            ++n;
    return n;
}

} // namespace

TEST_CASE("SIGKILL of qmail-queue and qmail-send never loses or half-delivers mail",
          "[scenario][crash][slow]") {
    qmtest::MailRoot root;
    std::string home = root.add_user("crash");
    const std::string maildir_new = home + "/Maildir/new";
    std::mt19937 rng(20261123);

    std::unique_ptr<qmtest::Daemon> send;
    std::mutex send_mutex;
    auto start_send = [&] {
        send = root.start({qmtest::bin("qmail-start"), "./Maildir/"}, "send.log");
    };
    start_send();

    // The killer: SIGKILL qmail-send (its whole process group) every 20-200 ms and restart it.
    std::atomic<bool> injecting{true};
    std::atomic<int> send_kills{0};
    std::thread killer([&] {
        std::mt19937 krng(7);
        while (injecting) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20 + krng() % 180));
            std::lock_guard lock(send_mutex);
            send->stop(SIGKILL);
            ++send_kills;
            start_send();
        }
    });

    qmtest::TempDir work;
    std::set<int> accepted;
    int queue_kills = 0;
    for (int i = 0; i < 500; ++i) {
        size_t filler = rng() % (128 * 1024);
        std::string msg = "Subject: crash " + std::to_string(i) +
                          "\nX-Crash-Id: " + std::to_string(i) +
                          "\nX-Crash-Size: " + std::to_string(filler) + "\n\n" +
                          std::string(filler, 'z') + "\nend of message " + std::to_string(i) + "\n";
        std::string msg_path = work / "msg", env_path = work / "env";
        qmtest::spit(msg_path, msg);
        qmtest::spit(env_path, "Ftester@test.example\0Tcrash@test.example\0\0"s);
        pid_t pid = start_queue(root, msg_path, env_path);
        if (rng() % 3 == 0) { // kill a third of the injections at a random moment
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
            ::kill(pid, SIGKILL);
            ++queue_kills;
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            accepted.insert(i);
    }
    injecting = false;
    killer.join();
    {
        std::lock_guard lock(send_mutex);
        send->stop(SIGKILL);
        start_send();
    }
    INFO("qmail-queue kills: " << queue_kills << ", qmail-send kills: " << send_kills);
    REQUIRE(accepted.size() > 250);
    CHECK(queue_kills > 100); // the test really killed injections...
    CHECK(send_kills > 5);    // ...and qmail-send, many times

    bool drained = qmtest::wait_for(
        [&] {
            auto d = scan(maildir_new);
            for (int id : accepted)
                if (!d.copies.count(id))
                    return false;
            return qmtest::list_dir(root / "queue/todo").empty() &&
                   files_in(root / "queue/info") == 0;
        },
        std::chrono::seconds(120));
    send->stop(SIGTERM);
    auto d = scan(maildir_new);
    INFO("send log tail: " << send->log().substr(
             send->log().size() > 2000 ? send->log().size() - 2000 : 0));
    CHECK(drained);
    CHECK(d.broken.empty()); // nothing half-written delivered
    std::vector<int> lost;
    for (int id : accepted)
        if (!d.copies.count(id))
            lost.push_back(id);
    CHECK(lost.empty());
    // Only messages whose qmail-queue was killed may be missing; never an accepted one.
    for (const auto& [id, n] : d.copies)
        CHECK(n >= 1);
    // No live queue state is left: todo, info, local, remote, bounce are empty. (Messages
    // whose qmail-queue died before its commit point leave mess/intd orphans that
    // qmail-send removes after 36 hours, as qmail does.)
    CHECK(qmtest::list_dir(root / "queue/todo").empty());
    CHECK(files_in(root / "queue/info") == 0);
    CHECK(files_in(root / "queue/local") == 0);
    CHECK(files_in(root / "queue/remote") == 0);
    CHECK(files_in(root / "queue/bounce") == 0);
    for (const auto& intd : qmtest::list_dir(root / "queue/intd"))
        CHECK_FALSE(fs::exists(root / ("queue/todo/" + intd)));
}

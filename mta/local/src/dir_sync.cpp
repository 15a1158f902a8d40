// One flush of a maildir's new/ for the deliveries of this process that renamed into it
// at about the same time (qmail-send's delivery threads in normal-user mode): each rename
// is durable only once the directory is flushed, and a flush covers every rename made
// before it began. The first delivery to ask flushes; those that ask meanwhile wait for
// the next flush, which one of them makes for all. Group commit again, as in the journal,
// and without syncfs: only this directory is flushed.
#include "internal.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <utility>

namespace qm::local::detail {

namespace {

struct DirectoryFlushes {
    std::uint64_t asked = 0;   // tickets handed out
    std::uint64_t flushed = 0; // every ticket up to this one is settled
    bool running = false;
    unsigned users = 0; // threads between their ticket and their answer
    // The last flushes: the newest ticket each covered, and whether it worked.
    std::deque<std::pair<std::uint64_t, bool>> rounds;
    std::uint64_t forgotten_through = 0; // the cover of the newest round dropped from rounds
    std::condition_variable settled;
};

constexpr std::size_t max_rounds = 1024;

std::mutex flushes_mutex;
std::map<std::pair<dev_t, ino_t>, DirectoryFlushes> flushes_by_dir;

} // namespace

bool sync_directory(int dir_fd) {
    struct stat st {};
    if (::fstat(dir_fd, &st) != 0)
        return false;
    const auto key = std::make_pair(st.st_dev, st.st_ino);
    std::unique_lock lock(flushes_mutex);
    DirectoryFlushes& d = flushes_by_dir[key];
    const std::uint64_t ticket = ++d.asked;
    ++d.users;
    while (d.flushed < ticket) {
        if (d.running) {
            d.settled.wait(lock);
            continue;
        }
        // Ours to make, for every ticket handed out so far: their renames came first.
        d.running = true;
        const std::uint64_t covers = d.asked;
        lock.unlock();
        const bool ok = ::fsync(dir_fd) == 0;
        lock.lock();
        d.running = false;
        d.flushed = covers;
        d.rounds.emplace_back(covers, ok);
        d.settled.notify_all();
    }
    // The first flush whose cover reaches the ticket is the one that made it durable. (A
    // round is forgotten only past max_rounds, far more than the threads that can wait;
    // a ticket whose round is gone counts as failed: a retry, never a loss.)
    bool ok = false;
    if (d.forgotten_through < ticket)
        for (const auto& [covers, worked] : d.rounds)
            if (covers >= ticket) {
                ok = worked;
                break;
            }
    if (--d.users == 0) {
        flushes_by_dir.erase(key); // nobody waits: no round is needed any more
    } else if (d.rounds.size() > max_rounds) {
        d.forgotten_through = d.rounds.front().first;
        d.rounds.pop_front();
    }
    return ok;
}

} // namespace qm::local::detail

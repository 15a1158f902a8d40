// qmail-send's intake of new mail (private to mta/send): lock/trigger wakes it, and a
// rescan every 1500 s catches a lost wake-up; each todo/N is preprocessed into info/N,
// local/N and remote/N (store.hpp) in bounded batches, one batch per turn of the event
// loop, so that delivery reports keep flowing while a large todo/ backlog drains ("silly
// qmail syndrome").
#pragma once

#include "qm/result.hpp"
#include "qm/routing.hpp"
#include "qm/send/store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <deque>
#include <functional>

namespace qm::send {

class TodoIntake {
public:
    struct Hooks {
        // A message already in the scheduler's hands (todo/N awaits qmail-lspawn's clean).
        std::function<bool(queue::MessageId)> known;
        // A batch is preprocessed: the scheduler takes each message over.
        std::function<void(std::vector<Preprocessed>)> accepted;
    };
    // remove_todo: false in root mode, where qmail-lspawn removes intd/N and todo/N.
    TodoIntake(boost::asio::io_context& io, const queue::Layout& layout, const Routing& routing,
               bool remove_todo, Hooks hooks);

    // Opens lock/trigger (and keeps a writer, so the FIFO never reads EOF).
    [[nodiscard]] Status open();
    // Starts listening to the trigger and the rescan timer, and takes todo/ once now.
    void start();
    // Another look at todo/ (SIGALRM, the trigger, the rescan).
    void want();
    void stop();

private:
    void read_trigger();
    void arm_rescan();
    void step();

    boost::asio::io_context& io_;
    const queue::Layout& layout_;
    const Routing& routing_;
    const bool remove_todo_;
    Hooks hooks_;
    UniqueFd trigger_write_;
    boost::asio::posix::stream_descriptor trigger_;
    std::array<char, 256> trigger_buf_{};
    boost::asio::steady_timer rescan_timer_;
    std::deque<queue::MessageId> pending_;
    bool running_ = false;
    bool wanted_ = false;
    bool stopped_ = false;
};

} // namespace qm::send

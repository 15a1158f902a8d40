#include "todo_intake.hpp"

#include "qm/log.hpp"

#include <boost/asio/post.hpp>

#include <fcntl.h>

#include <cerrno>
#include <chrono>

namespace qm::send {

namespace asio = boost::asio;

TodoIntake::TodoIntake(asio::io_context& io, const queue::Layout& layout, const Routing& routing,
                       bool remove_todo, Hooks hooks)
    : io_(io)
    , layout_(layout)
    , routing_(routing)
    , remove_todo_(remove_todo)
    , hooks_(std::move(hooks))
    , trigger_(io)
    , rescan_timer_(io) {}

Status TodoIntake::open() {
    UniqueFd rd(::open(layout_.trigger().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!rd)
        return fail(from_errno(errno, "unable to open " + layout_.trigger()));
    trigger_write_.reset(::open(layout_.trigger().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!trigger_write_)
        return fail(from_errno(errno, "unable to open " + layout_.trigger() + " for writing"));
    trigger_.assign(rd.release());
    return {};
}

void TodoIntake::start() {
    read_trigger();
    arm_rescan();
    want();
}

void TodoIntake::stop() {
    stopped_ = true;
    boost::system::error_code ignored;
    trigger_.cancel(ignored);
    rescan_timer_.cancel();
}

void TodoIntake::read_trigger() {
    trigger_.async_read_some(asio::buffer(trigger_buf_),
                             [this](boost::system::error_code ec, size_t) {
                                 if (ec == asio::error::operation_aborted || stopped_)
                                     return;
                                 want();
                                 if (!ec)
                                     read_trigger();
                                 else
                                     log::warning("unable to read lock/trigger: " + ec.message() +
                                                  "; relying on the periodic todo scan");
                             });
}

void TodoIntake::arm_rescan() {
    // qmail-send rescans todo/ every 1500 s even without a trigger (a lost wake-up byte).
    rescan_timer_.expires_after(std::chrono::seconds(1500));
    rescan_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_)
            return;
        want();
        arm_rescan();
    });
}

void TodoIntake::want() {
    wanted_ = true;
    if (running_ || stopped_)
        return;
    running_ = true;
    asio::post(io_, [this] { step(); });
}

void TodoIntake::step() {
    if (stopped_) {
        running_ = false;
        return;
    }
    if (pending_.empty()) {
        if (!wanted_) {
            running_ = false;
            return;
        }
        wanted_ = false;
        for (queue::MessageId id : list_todo(layout_))
            if (!hooks_.known(id))
                pending_.push_back(id);
        if (pending_.empty()) {
            running_ = false;
            return;
        }
    }
    constexpr size_t batch_max = 128;
    std::vector<queue::MessageId> batch;
    while (!pending_.empty() && batch.size() < batch_max) {
        batch.push_back(pending_.front());
        pending_.pop_front();
    }
    hooks_.accepted(preprocess_todo(layout_, routing_, batch, remove_todo_));
    asio::post(io_, [this] { step(); });
}

} // namespace qm::send

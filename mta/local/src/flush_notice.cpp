#include "internal.hpp"
#include "qm/local/deliver.hpp"

namespace qm::local {

namespace {

// The notice of the delivery running on this thread; emptied once it has been given.
thread_local std::function<void()>* current_notice = nullptr;

} // namespace

FlushWaitNotice::FlushWaitNotice(std::function<void()> notify)
    : notify_(std::move(notify))
    , outer_(current_notice) {
    current_notice = &notify_;
}

FlushWaitNotice::~FlushWaitNotice() {
    current_notice = outer_;
}

namespace detail {

void flush_wait_begins() {
    if (current_notice == nullptr || !*current_notice)
        return;
    auto notify = std::move(*current_notice);
    *current_notice = nullptr;
    notify();
}

} // namespace detail

} // namespace qm::local

#include "qm/journal/group_commit.hpp"

#include "qm/log.hpp"

#include <ctime>
#include <future>
#include <utility>

namespace qm::journal {

GroupCommitter::GroupCommitter(Options options)
    : options_(std::move(options))
    , next_sequence_(options_.first_sequence)
    , next_id_(options_.first_sequence << 32) {}

Result<std::unique_ptr<GroupCommitter>> GroupCommitter::start(const Options& options) {
    std::unique_ptr<GroupCommitter> c(new GroupCommitter(options));
    if (auto s = c->ensure_segment(); !s)
        return fail(s.error());
    c->thread_ = std::thread([p = c.get()] { p->run(); });
    return c;
}

GroupCommitter::~GroupCommitter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable())
        thread_.join();
}

std::uint64_t GroupCommitter::new_journal_id() {
    return next_id_.fetch_add(1) + 1;
}

Status GroupCommitter::ensure_segment() {
    const bool full = writer_ && writer_->size() >= options_.max_segment_bytes;
    if (writer_ && !writer_->broken() && !full)
        return {};
    if (writer_ && full)
        writer_->trim();
    auto w = SegmentWriter::create(options_.dir, next_sequence_,
                                   static_cast<std::uint64_t>(std::time(nullptr)));
    if (!w)
        return fail(w.error());
    ++next_sequence_;
    writer_.emplace(std::move(*w));
    std::lock_guard lock(mutex_);
    ++stats_.segments;
    return {};
}

void GroupCommitter::submit(RecordType type, std::string payload, Done done) {
    Pending p{frame_record(type, payload), std::move(done)};
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (pending_.empty())
            oldest_pending_ = std::chrono::steady_clock::now();
        // The committer wakes for an urgent record, and for the first lazy one to learn
        // its deadline.
        wake = pending_.empty() || (urgent(type) && !urgent_pending_);
        urgent_pending_ = urgent_pending_ || urgent(type);
        pending_.push_back(std::move(p));
    }
    if (wake)
        wake_.notify_one();
}

Result<RecordPos> GroupCommitter::commit(RecordType type, std::string payload) {
    std::promise<Result<RecordPos>> answer;
    auto future = answer.get_future();
    submit(type, std::move(payload), [&answer](Result<RecordPos> r) { answer.set_value(r); });
    return future.get();
}

GroupCommitter::Stats GroupCommitter::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void GroupCommitter::run() {
    std::vector<Pending> group;
    std::string batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            for (;;) {
                if (stopping_ || urgent_pending_)
                    break;
                if (pending_.empty()) {
                    wake_.wait(lock);
                    continue;
                }
                // Only lazy records: they go at their deadline, or with a message sooner.
                const auto due = oldest_pending_ + options_.lazy_flush_delay;
                if (std::chrono::steady_clock::now() >= due)
                    break;
                wake_.wait_until(lock, due);
            }
            if (pending_.empty())
                return; // stopping, and everything answered
            group.swap(pending_);
            urgent_pending_ = false;
        }
        // One write and one flush for the whole group.
        Status status = ensure_segment();
        std::vector<RecordPos> where;
        where.reserve(group.size());
        if (status) {
            batch.clear();
            std::uint64_t at = writer_->size();
            for (const auto& p : group) {
                where.push_back(RecordPos{writer_->sequence(), at});
                at += p.framed.size();
                batch += p.framed;
            }
            status = writer_->append_framed(batch);
            if (status)
                status = writer_->sync();
        }
        {
            std::lock_guard lock(mutex_);
            if (status) {
                stats_.records += group.size();
                ++stats_.flushes;
            } else {
                stats_.failures += group.size();
            }
        }
        // qmail-queue maps the reply to an exit code and says nothing: the reason is
        // logged here or nowhere.
        if (!status)
            log::warning(status.error().text + "; " + std::to_string(group.size()) +
                         " request(s) failed temporarily");
        for (std::size_t i = 0; i < group.size(); ++i) {
            if (status)
                group[i].done(where[i]);
            else
                group[i].done(std::unexpected(status.error()));
        }
        group.clear();
    }
}

} // namespace qm::journal

// Group commit: many writers, one flush. Writers hand framed records to the committer's
// thread, which appends all that have arrived in one write, flushes once (fdatasync),
// and then answers every writer of that group. The next group starts the moment a flush
// ends, so a record waits at most for the flush already under way and its own: there is
// no timer that holds a reply back, and under load each flush covers as many records as
// arrived during the previous one.
//
// Segments roll over past max_segment_bytes. A failed write or flush (a full disk, an
// I/O error) fails the whole group with a temporary error, and the next group starts a
// new segment: a writer is never told "durable" for bytes that may not be.
#pragma once

#include "qm/journal/segment.hpp"
#include "qm/result.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace qm::journal {

class GroupCommitter {
public:
    struct Options {
        std::string dir;                            // queue/journal
        std::uint64_t first_sequence = 1;           // the first segment this run makes
        std::uint64_t max_segment_bytes = 64 << 20; // roll over past this
    };
    using Done = std::function<void(Result<RecordPos>)>;

    // Makes the first segment and starts the thread.
    [[nodiscard]] static Result<std::unique_ptr<GroupCommitter>> start(const Options& options);
    // Flushes what is pending, answers it, and stops the thread.
    ~GroupCommitter();
    GroupCommitter(const GroupCommitter&) = delete;
    GroupCommitter& operator=(const GroupCommitter&) = delete;

    // A journal id no other message of this journal has: the first segment's sequence in
    // the high 32 bits (each run starts a new segment), a counter in the low ones.
    [[nodiscard]] std::uint64_t new_journal_id();

    // done runs on the committer's thread once the record is durable (or failed).
    void submit(RecordType type, std::string payload, Done done);
    // The same, waiting for the answer.
    [[nodiscard]] Result<RecordPos> commit(RecordType type, std::string payload);

    struct Stats {
        std::uint64_t records = 0;
        std::uint64_t flushes = 0;
        std::uint64_t segments = 0;
        std::uint64_t failures = 0;
    };
    [[nodiscard]] Stats stats() const;

private:
    explicit GroupCommitter(Options options);
    void run();
    [[nodiscard]] Status ensure_segment();

    struct Pending {
        std::string framed;
        Done done;
    };
    Options options_;
    std::optional<SegmentWriter> writer_;
    std::uint64_t next_sequence_;
    std::atomic<std::uint64_t> next_id_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Pending> pending_;
    bool stopping_ = false;
    Stats stats_;
    std::thread thread_;
};

} // namespace qm::journal

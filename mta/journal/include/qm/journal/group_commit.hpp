// Group commit: many writers, one flush. Writers hand framed records to the committer's
// thread, which appends all that have arrived in one write, flushes once (fdatasync),
// and then answers every writer of that group. The next group starts the moment a flush
// ends, so a record waits at most for the flush already under way and its own: there is
// no timer that holds a reply back, and under load each flush covers as many records as
// arrived during the previous one.
//
// Done marks and end records (D, E) do not start a flush of their own: nobody waits for
// them (their loss costs a second delivery attempt, which the journal's stable maildir
// names make harmless, and an E only lets qmail-send remove files it keeps meanwhile).
// They go out with the next group that holds a message, or after lazy_flush_delay when
// no message comes: on a busy journal that makes one flush per group of accepted
// messages, not one more for the deliveries that finished meanwhile.
//
// Segments roll over past max_segment_bytes. A failed write or flush (a full disk, an
// I/O error) fails the whole group with a temporary error, and the next group starts a
// new segment: a writer is never told "durable" for bytes that may not be.
#pragma once

#include "qm/journal/segment.hpp"
#include "qm/result.hpp"

#include <atomic>
#include <chrono>
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
        // The longest a D or E record waits for a message record to share its flush.
        std::chrono::milliseconds lazy_flush_delay{50};
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
    // Whether a record waits for its flush: M records do; D and E ride along.
    [[nodiscard]] static bool urgent(RecordType type) { return type == RecordType::message; }
    Options options_;
    std::optional<SegmentWriter> writer_;
    std::uint64_t next_sequence_;
    std::atomic<std::uint64_t> next_id_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Pending> pending_;
    bool urgent_pending_ = false; // an M record is among pending_
    // When the oldest record of pending_ arrived, for the lazy ones' deadline.
    std::chrono::steady_clock::time_point oldest_pending_;
    bool stopping_ = false;
    Stats stats_;
    std::thread thread_;
};

} // namespace qm::journal

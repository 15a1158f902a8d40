// What the whole journal says, read at a start: which messages it still holds (an M and
// no E), where each one is, and which segments no longer hold any. A damaged segment is
// reported and read up to the damage; the others are read all the same.
#pragma once

#include "qm/fd.hpp"
#include "qm/journal/records.hpp"
#include "qm/journal/segment.hpp"
#include "qm/result.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace qm::journal {

// Messages still held, by segment: what retirement counts.
struct LiveMessages {
    std::map<std::uint64_t, std::size_t> per_segment;            // every segment, 0 when none
    std::unordered_map<std::uint64_t, std::uint64_t> segment_of; // journal id -> segment
    // The segments that can go: every segment up to the first that still holds a
    // message and older than keep_from (the segment being written). Strictly from the oldest: a
    // later segment may hold the E of an older segment's message.
    [[nodiscard]] std::vector<std::uint64_t> retirable(std::uint64_t keep_from) const;
    void add(std::uint64_t segment, std::uint64_t id);
    void end(std::uint64_t id);
};

struct JournalState {
    struct Held {
        std::uint64_t segment = 0;
        std::uint64_t offset = 0; // of its M record, read again by read_message_record
        std::uint64_t journal_id = 0;
        std::uint64_t body_size = 0;
        std::uint64_t queue_id = 0; // the N it was first queued under
    };
    std::vector<Held> held; // messages with an M and no E, in journal order
    // The recipients qmail-send marked done (D records) of each held message, as its
    // channel files name them.
    std::unordered_map<std::uint64_t, std::unordered_set<std::string>> done;
    LiveMessages live;
    std::vector<std::string> problems; // damaged segments and records, with offsets
};

// Reads the segments one at a time: memory is the largest segment and a few words per
// message still held, whatever the journal's size.
[[nodiscard]] Result<JournalState> read_journal(const std::string& dir);

// The payloads of held messages' M records, read again from their segments (the last
// segment opened stays open: recovery reads them in journal order).
class HeldReader {
public:
    explicit HeldReader(std::string dir)
        : dir_(std::move(dir)) {}
    [[nodiscard]] Result<std::string> read(const JournalState::Held& held);

private:
    std::string dir_;
    std::uint64_t segment_ = 0;
    UniqueFd fd_;
};

// What a start's recovery hands qmail-journald: what the journal holds, and the messages
// it found delivered to every recipient with no E yet, whose E it then writes.
struct RecoveredJournal {
    LiveMessages live;
    std::vector<std::uint64_t> to_end;
};

// Deletes the segment files (after retirable()); failures are returned as text.
[[nodiscard]] std::vector<std::string>
retire_segments(const std::string& dir, const std::vector<std::uint64_t>& seqs, LiveMessages& live);

} // namespace qm::journal

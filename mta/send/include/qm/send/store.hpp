// qmail-send's file operations on the queue (qmail INTERNALS, qmail-send.c, qmail-clean.c):
// turning todo/N into info/N + local/N + remote/N durably, finding queued messages at
// start, the in-place T → D checkpoint, bounce/N, the retry time kept in a channel file's
// mtime, and the removal of leftovers of crashed qmail-queue runs.
#pragma once

#include "qm/fd.hpp"
#include "qm/queue/layout.hpp"
#include "qm/result.hpp"
#include "qm/routing.hpp"
#include "qm/send/records.hpp"

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace qm::send {

// Leftovers older than this are removed (qmail's OSSIFIED, 36 h > qmail-queue's 24 h alarm).
inline constexpr std::time_t ossified = 129600;

struct QueuedMessage {
    queue::MessageId id = 0;
    std::time_t birth = 0; // info/N's mtime
    std::string sender;
    std::array<std::optional<std::time_t>, 2> channel_mtime; // local/N, remote/N if present
    std::uint64_t journal_id = 0; // info/N's j<id>: qmail-journald holds the message
};

struct QueueScan {
    std::vector<QueuedMessage> messages;
};

// Messages with an info/N and no todo/N (those are preprocessed again).
[[nodiscard]] Result<QueueScan> scan_queue(const queue::Layout& q);
[[nodiscard]] std::vector<queue::MessageId> list_todo(const queue::Layout& q);

struct Preprocessed {
    queue::MessageId id = 0;
    std::time_t birth = 0;
    std::string sender;
    std::array<bool, 2> has_channel{}; // local, remote
    std::uint64_t journal_id = 0;
    // todo/N came back after a crash with its message already ended (mess/S/N gone):
    // nothing to deliver, only todo/N and intd/N to remove.
    bool ended = false;
};

// For each todo/N: info/N (F record, and j<id> when the journal holds it), local/N and remote/N (T
// records after routing), all made durable (one syncfs for a batch, like a group commit), then
// intd/N and todo/N go (unless remove_todo is false: in root mode qmail-lspawn removes them, as
// qmail-clean). Logs "new msg N" and "info msg N: ...". Entries that cannot be processed are left
// in todo/ with a warning and are not returned.
[[nodiscard]] std::vector<Preprocessed> preprocess_todo(const queue::Layout& q,
                                                        const Routing& routing,
                                                        const std::vector<queue::MessageId>& ids,
                                                        bool remove_todo = true);

// Opened read-write (for mark_done); nullopt when the file does not exist.
[[nodiscard]] Result<std::optional<UniqueFd>> open_channel(const std::string& path);

// Overwrites the record's T with D (one byte, no fsync, as qmail).
[[nodiscard]] bool mark_done(int fd, off_t offset);
// Appends one recipient paragraph to bounce/N and fsyncs it.
[[nodiscard]] Status append_bounce(const queue::Layout& q, queue::MessageId id,
                                   std::string_view record);
[[nodiscard]] bool save_retry_time(const std::string& path, std::time_t when);

// Removes pid/ files, intd/N without todo/N, and mess/N without any envelope, once they are
// older than `ossified`.
void cleanup_stale(const queue::Layout& q, std::time_t now);

} // namespace qm::send

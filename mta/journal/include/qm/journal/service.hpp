// qmail-journald (qmail-journald(8)): the journal's one writer. qmail-queue (and the
// daemons that queue in-process) hand it each accepted message, qmail-send each
// recipient's end, over a Unix socket, queue/lock/journal. Each request is a netstring
// holding a record type byte and the record's payload (records.hpp; an M's journal id is
// left 0 and given here); each reply is a netstring, "K" and the message's journal id
// (or "K" alone for D and E) once the record is on stable storage, "Z" and a reason when
// it could not be written (try again), "D" and a reason for a request that can never be
// taken. Replies come in the order of the requests, so a client may send several before
// reading.
#pragma once

#include "qm/fd.hpp"
#include "qm/journal/segment.hpp"
#include "qm/journal/state.hpp"
#include "qm/result.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace qm::journal {

// The socket, queue/lock/journal (lock/ is qmailq's, 0750, group qmail), for the queue
// directory queue_root ($QMAILHOME/queue).
[[nodiscard]] std::string socket_path(const std::string& queue_root);
// The segments' directory, queue/journal.
[[nodiscard]] std::string journal_dir(const std::string& queue_root);

// One request as it goes on the socket: a netstring of the type byte and the payload.
[[nodiscard]] std::string encode_request(RecordType type, std::string_view payload);
// One reply's payload: K (and the journal id, 0 when there is none), or the failure a Z
// (temporary) or D (permanent) carries.
[[nodiscard]] Result<std::uint64_t> read_reply(std::string_view reply);

// A blocking client on one connection (qmail-queue's, qmail-send's).
class Client {
public:
    [[nodiscard]] static Result<Client> connect(const std::string& path);
    // Sends one record and waits until it is durable; an M's journal id comes back.
    [[nodiscard]] Result<std::uint64_t> commit(RecordType type, std::string_view payload);
    // The two halves of commit.
    [[nodiscard]] Status send(RecordType type, std::string_view payload);
    [[nodiscard]] Result<std::uint64_t> receive();

private:
    UniqueFd fd_;
    std::string in_;
};

// commit() through a connection kept open between calls, from a pool of this process's
// idle ones: a daemon that queues many messages (qmail-smtpd, qmail-qmtpd) then makes no
// socket, connection and accept per message. Thread-safe.
[[nodiscard]] Result<std::uint64_t> commit_pooled(const std::string& path, RecordType type,
                                                  std::string_view payload);

struct JournaldOptions {
    std::string queue_root; // $QMAILHOME/queue
    std::uint64_t max_segment_bytes = 64 << 20;
    // Run before the socket opens (the queue's rebuild, queue/recover.hpp); returns what
    // the journal still holds, for retiring segments as their messages end, and the
    // messages to end now. Without it, the journal is read for the first alone.
    std::function<Result<RecoveredJournal>()> recover;
};
// Recovers, then serves the socket until SIGTERM (then answers what it holds and exits
// 0); returns the exit code. A segment goes once every message it took has ended and
// every older one has gone. Logs in qmail's manner ("status: journal ready ...").
[[nodiscard]] int run_journald(const JournaldOptions& options);

} // namespace qm::journal

// qmail-queue's work (qmail-queue(8)): copy a message and its envelope into the queue so
// that it is either fully queued or not queued at all. The sequence is qmail's:
// pid file → link to mess/S/N → write + fsync message → intd/N written + fsync →
// link intd/N to todo/N (the commit point) → trigger.
#pragma once

#include "qm/envelope.hpp"
#include "qm/fd.hpp"
#include "qm/queue/layout.hpp"

#include <cstdint>
#include <ctime>
#include <expected>
#include <string>
#include <string_view>

namespace qm::queue {

// How an accepted message is made durable. fsync: qmail's way, each queue file flushed.
// journal: qmail-journald (qmail-journal(5)) takes each message, compressed, and answers
// once it is on stable storage, many messages to one flush; its journal id goes in the
// envelope as a j<id> field (for qmail-send's end mark), and the queue files are written
// without flushes: qmail-journald rebuilds at its start what a crash took from them.
// rebuilt: the journal holds the message already (the rebuild after a crash,
// queue/recover.hpp): no Received line of ours, no journal call, no flushes.
enum class Durability { fsync, journal, rebuilt };
// control/journal: 1 for the journal, 0 or no file for the classic path; anything else
// is a configuration error naming the file.
[[nodiscard]] Result<Durability> durability_from_control();

struct EnqueueRequest {
    int message_fd = 0;       // read to EOF
    int envelope_fd = 1;      // qmail-queue envelope format
    std::string received_how; // "by uid 1000", "from network", "by alias", "for bounce"
    Durability durability = Durability::fsync;
};

// Returns the exit code qmail-queue must exit with.
[[nodiscard]] QueueExit enqueue(const Layout& layout, const EnqueueRequest& req);

// The same sequence for a message that arrives piece by piece, used by qmail-queue and,
// in-process, by a daemon that owns the queue (qmail-smtpd in normal-user mode): open()
// creates mess/S/N and writes the Received line; write() appends; finish() fsyncs the
// message, writes and fsyncs intd/N, links todo/N (the commit point), fsyncs todo/ and
// pulls the trigger (with the journal: the record flushed by qmail-journald instead of the
// three flushes). Destroyed before finish() succeeded, it removes what it made:
// the message is then not queued at all. Safe to use from several threads at once,
// one writer per message.
class MessageWriter {
public:
    [[nodiscard]] static std::expected<MessageWriter, QueueExit>
    open(const Layout& layout, const std::string& how, Durability durability = Durability::fsync);
    MessageWriter(MessageWriter&& o) noexcept;
    MessageWriter& operator=(MessageWriter&&) = delete;
    MessageWriter(const MessageWriter&) = delete;
    MessageWriter& operator=(const MessageWriter&) = delete;
    ~MessageWriter();

    // A failed write is remembered and reported by finish(). finish() hands the message to
    // qmail-journald first when the durability is journal.
    void write(std::string_view bytes);
    // journal_id: the rebuilt message's id in the journal (Durability::rebuilt).
    [[nodiscard]] QueueExit finish(const Envelope& env, std::uint64_t journal_id = 0);
    [[nodiscard]] MessageId id() const { return id_; }

private:
    MessageWriter() = default;
    void remove();
    [[nodiscard]] std::string envelope_bytes(const Envelope& env) const;
    [[nodiscard]] std::expected<std::uint64_t, QueueExit> journal_message(const Envelope& env);
    Layout layout_;           // a copy: the writer may outlive whoever opened it
    bool owns_files_ = false; // false once moved from
    MessageId id_ = 0;
    UniqueFd fd_;
    std::string mess_, intd_;
    QueueExit write_error_ = QueueExit::ok;
    bool committed_ = false;
    Durability durability_ = Durability::fsync;
    std::time_t received_ = 0;
};

// qmail names the injecting party by its real uid (qmail-queue(8)): "by alias", "from
// network" (qmaild), "for bounce" (qmails), else "by uid N".
[[nodiscard]] std::string invoked_how();

// "Received: (qmail PID invoked HOW); DATE\n"
[[nodiscard]] std::string received_line(pid_t pid, const std::string& how, std::time_t now);

} // namespace qm::queue

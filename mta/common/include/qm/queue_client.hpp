// Handing a message to qmail-queue (qmail.c): runs $QMAILQUEUE or <home>/bin/qmail-queue
// with the message on its fd 0 and the envelope on its fd 1, and translates the exit
// status. Used by qmail-inject, forwarding in qmail-local, bounces, and the tools.
#pragma once

#include "qm/envelope.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm {

struct Queued {
    pid_t qp = 0; // qmail-queue's pid, the "qp" in logs and SMTP replies
};

// A qmail-queue run fed piece by piece, for callers that receive the message as a stream
// (qmail-smtpd's DATA). start() spawns qmail-queue; write() hands it message bytes;
// finish() sends the envelope and waits for the verdict. Dropping the stream without
// finish() closes both pipes with no envelope, which makes qmail-queue give up and
// remove what it wrote: the message is then not queued at all.
class QueueStream {
public:
    // env: settings for this run on top of the process environment (a tcprules entry
    // may name another QMAILQUEUE, for instance).
    using Settings = std::vector<std::pair<std::string, std::string>>;
    [[nodiscard]] static Result<QueueStream> start(const Settings& env = {});
    QueueStream(QueueStream&&) noexcept;
    QueueStream& operator=(QueueStream&&) noexcept;
    QueueStream(const QueueStream&) = delete;
    QueueStream& operator=(const QueueStream&) = delete;
    ~QueueStream();

    // A failed write is remembered, not reported: qmail-queue's exit status says why.
    void write(std::string_view bytes);
    [[nodiscard]] Result<Queued> finish(const Envelope& env);
    // Gives up: closes both pipes without an envelope and waits for qmail-queue, which
    // then removes its files. Nothing is queued.
    void cancel();

private:
    QueueStream() = default;
    pid_t pid_ = -1;
    int message_fd_ = -1;
    int envelope_fd_ = -1;
    bool write_ok_ = true;
};

// Message given as bytes.
[[nodiscard]] Result<Queued> queue_message(std::string_view message, const Envelope& env);
// Message given as a prefix (e.g. a Delivered-To line) followed by the rest of an open fd
// read from its current offset to EOF.
[[nodiscard]] Result<Queued> queue_message_fd(std::string_view prefix, int message_fd,
                                              const Envelope& env);

} // namespace qm

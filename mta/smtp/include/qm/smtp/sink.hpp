// Where an SMTP session's message goes. Either way "finish() succeeded" means qmail's
// guarantee: the message and its envelope are on disk and todo/N links them.
//  - spawned: a qmail-queue process per message (qmail's way; the only choice when the
//    queue belongs to other users, as in root mode, or when QMAILQUEUE names a filter);
//  - in-process: qm::queue::MessageWriter in this process, the same file sequence and
//    fsyncs without an exec per message, for a daemon that owns the queue itself.
// Destroying a sink before finish() succeeded queues nothing.
#pragma once

#include "qm/envelope.hpp"
#include "qm/queue_client.hpp"
#include "qm/result.hpp"

#include <functional>
#include <memory>
#include <string_view>

namespace qm::smtp {

struct Connection;

class MessageSink {
public:
    virtual ~MessageSink() = default;
    virtual void write(std::string_view bytes) = 0;
    [[nodiscard]] virtual Result<Queued> finish(const Envelope& env) = 0;
};

using SinkFactory = std::function<Result<std::unique_ptr<MessageSink>>(const Connection&)>;

// qmail-queue (or $QMAILQUEUE, or the connection's QMAILQUEUE setting) per message.
[[nodiscard]] SinkFactory spawned_qmail_queue();
// The queue under $QMAILHOME written in this process; a connection whose settings name
// a QMAILQUEUE still gets that program.
[[nodiscard]] SinkFactory in_process_queue();
// True when this process may write the queue itself: it owns queue/todo and no
// QMAILQUEUE is set in its environment.
[[nodiscard]] bool can_queue_in_process();

} // namespace qm::smtp

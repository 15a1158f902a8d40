#include "qm/smtp/sink.hpp"

#include "qm/env.hpp"
#include "qm/queue/enqueue.hpp"
#include "qm/queue/layout.hpp"
#include "qm/smtp/policy.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace qm::smtp {

namespace {

class SpawnedSink final : public MessageSink {
public:
    explicit SpawnedSink(QueueStream qs)
        : qs_(std::move(qs)) {}
    void write(std::string_view bytes) override { qs_.write(bytes); }
    Result<Queued> finish(const Envelope& env) override { return qs_.finish(env); }

private:
    QueueStream qs_; // its destructor cancels qmail-queue
};

class InProcessSink final : public MessageSink {
public:
    explicit InProcessSink(queue::MessageWriter w)
        : writer_(std::move(w)) {}
    void write(std::string_view bytes) override { writer_.write(bytes); }
    Result<Queued> finish(const Envelope& env) override {
        const QueueExit code = writer_.finish(env);
        if (code != QueueExit::ok)
            return fail(queue_exit_failure(static_cast<int>(code)));
        return Queued{::getpid()};
    }

private:
    queue::MessageWriter writer_; // its destructor removes an unfinished message
};

Result<std::unique_ptr<MessageSink>> spawn(const Connection& conn) {
    auto qs = QueueStream::start(conn.env);
    if (!qs)
        return fail(qs.error());
    return std::make_unique<SpawnedSink>(std::move(*qs));
}

bool names_queue_program(const Connection& conn) {
    for (const auto& [name, value] : conn.env)
        if (name == "QMAILQUEUE")
            return true;
    return false;
}

} // namespace

SinkFactory spawned_qmail_queue() {
    return spawn;
}

SinkFactory in_process_queue() {
    // One layout and one "invoked" text for the life of the daemon.
    return [layout = queue::Layout::from_home(), how = queue::invoked_how()](
               const Connection& conn) -> Result<std::unique_ptr<MessageSink>> {
        if (names_queue_program(conn))
            return spawn(conn);
        auto durability = queue::durability_from_control(); // read per message
        if (!durability)
            return fail(durability.error());
        auto w = queue::MessageWriter::open(layout, how, *durability);
        if (!w)
            return fail(queue_exit_failure(static_cast<int>(w.error())));
        return std::make_unique<InProcessSink>(std::move(*w));
    };
}

bool can_queue_in_process() {
    if (qm::env("QMAILQUEUE"))
        return false;
    struct stat st {};
    const auto layout = queue::Layout::from_home();
    return ::stat(layout.dir("todo").c_str(), &st) == 0 && st.st_uid == ::geteuid() &&
           ::access(layout.dir("todo").c_str(), W_OK) == 0;
}

} // namespace qm::smtp

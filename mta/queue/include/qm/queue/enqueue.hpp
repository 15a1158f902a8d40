// qmail-queue's work (qmail-queue(8)): copy a message and its envelope into the queue so
// that it is either fully queued or not queued at all. The sequence is qmail's:
// pid file → link to mess/S/N → write + fsync message → intd/N written + fsync →
// link intd/N to todo/N (the commit point) → trigger.
#pragma once

#include "qm/envelope.hpp"
#include "qm/queue/layout.hpp"

#include <ctime>
#include <string>

namespace qm::queue {

struct EnqueueRequest {
    int message_fd = 0;  // read to EOF
    int envelope_fd = 1; // qmail-queue envelope format
    std::string received_how; // "by uid 1000", "from network", "by alias", "for bounce"
};

// Returns the exit code qmail-queue must exit with.
[[nodiscard]] QueueExit enqueue(const Layout& layout, const EnqueueRequest& req);

// "Received: (qmail PID invoked HOW); DATE\n"
[[nodiscard]] std::string received_line(pid_t pid, const std::string& how, std::time_t now);

} // namespace qm::queue

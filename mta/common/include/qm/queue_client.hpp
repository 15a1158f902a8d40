// Handing a message to qmail-queue (qmail.c): runs $QMAILQUEUE or <home>/bin/qmail-queue
// with the message on its fd 0 and the envelope on its fd 1, and translates the exit
// status. Used by qmail-inject, forwarding in qmail-local, bounces, and the tools.
#pragma once

#include "qm/envelope.hpp"
#include "qm/result.hpp"

#include <string_view>
#include <sys/types.h>

namespace qm {

struct Queued {
    pid_t qp = 0; // qmail-queue's pid, the "qp" in logs and SMTP replies
};

// Message given as bytes.
[[nodiscard]] Result<Queued> queue_message(std::string_view message, const Envelope& env);
// Message given as a prefix (e.g. a Delivered-To line) followed by the rest of an open fd
// read from its current offset to EOF.
[[nodiscard]] Result<Queued> queue_message_fd(std::string_view prefix, int message_fd,
                                              const Envelope& env);

} // namespace qm

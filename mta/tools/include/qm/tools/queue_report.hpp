// What qmail-qread(8) and qmail-qstat(8) report about the queue (mta.md 1.4, 2.2).
// Preprocessed messages come from info/S/N (sender; mtime = birth), mess/S/N (size),
// local/S/N and remote/S/N (T = pending, D = done) and bounce/N; messages qmail-send has
// not preprocessed yet come from todo/N and are routed as qmail-send would route them.
#pragma once

#include "qm/queue/layout.hpp"
#include "qm/result.hpp"
#include "qm/routing.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace qm::tools {

struct QueuedRecipient {
    bool done = false;
    bool remote = false;
    std::string address;
};

struct QueuedMessage {
    queue::MessageId id = 0;
    std::time_t birth = 0; // mtime of info/S/N, or of todo/N before preprocessing
    unsigned long long size = 0;
    std::string sender;
    bool bouncing = false;    // bounce/N exists
    bool preprocessed = true; // false: still in todo/
    std::vector<QueuedRecipient> recipients;
    std::optional<std::string> trouble; // set when the message's files could not be read
};

// Every queued message in id order: the preprocessed ones, then those still in todo/.
// Only a missing or unreadable queue directory fails; trouble with one message is
// recorded in that message. todo/ recipients are routed (local or remote, virtual-domain
// prepend added) as qmail-send will route them.
[[nodiscard]] Result<std::vector<QueuedMessage>> scan_queue(const queue::Layout& layout,
                                                            const Routing& routing);

// qmail-qread's lines for one message:
//   "26 Sep 1995 04:46:54 GMT  #N  BYTES  <sender> [ bouncing]\n"
//   then per recipient "[  done]\t(local|remote)\t<address>\n"
// or "warning: trouble with #N: <reason>\n". Bytes outside 32..126 print as '_'.
[[nodiscard]] std::string format_qread(const QueuedMessage& m);

struct QueueCounts {
    unsigned long messages = 0;    // files under mess/
    unsigned long unprocessed = 0; // files under todo/
};
[[nodiscard]] Result<QueueCounts> count_queue(const queue::Layout& layout);
// "messages in queue: N\nmessages in queue but not yet preprocessed: M\n"
[[nodiscard]] std::string format_qstat(const QueueCounts& c);

} // namespace qm::tools

// qmail-start (qmail-start(8)): starts qmail-send with the default delivery instruction
// (aliasempty), either in the foreground with the activity log on stderr, or with the log
// piped into a logger program (splogger, multilog, ...).
#pragma once

#include "qm/result.hpp"

#include <string>
#include <vector>

namespace qm::send {

struct StartOptions {
    std::string default_delivery = "./Mailbox";
    std::vector<std::string> logger; // program and arguments; empty = log on stderr
};

// qmail-start [aliasempty [logger arg ...]]
[[nodiscard]] StartOptions parse_start_args(const std::vector<std::string>& args);

// Replaces this process with qmail-send (so signals sent to qmail-start reach qmail-send);
// returns only on failure.
[[nodiscard]] Failure exec_send(const StartOptions& o);

} // namespace qm::send

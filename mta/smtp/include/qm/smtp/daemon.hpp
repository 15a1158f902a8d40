// qmail-smtpd as one long-running process: a Boost.Asio event loop holding every
// session, instead of a process per connection. Each session is the same Session state
// machine that the stdin/stdout mode drives; the wait for qmail-queue at the end of DATA
// runs on a small thread pool so that one message's fsyncs never stall other sessions.
#pragma once

#include "qm/result.hpp"
#include "qm/smtp/policy.hpp"

#include <memory>
#include <string>
#include <vector>

namespace qm::smtp {

struct DaemonOptions {
    std::vector<std::string> listen; // "127.0.0.1:2525", "[::1]:2525", ":25" (every address)
    unsigned max_connections = 100;  // more are told 421 and closed
    unsigned queue_threads = 4;      // concurrent qmail-queue runs being waited for
};

// Serves until SIGTERM or SIGINT: then it stops accepting, lets the open sessions end
// (a second signal ends them at once) and returns 0. A listen address that cannot be
// bound is a temporary failure naming it.
[[nodiscard]] Status run_daemon(const DaemonOptions& options,
                                std::shared_ptr<const Controls> controls);

} // namespace qm::smtp

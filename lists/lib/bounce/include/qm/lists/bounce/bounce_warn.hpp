// ezmlm-warn (ezmlm-warn(1)): the slow half of the bounce cycle, run whenever the list
// gets mail. Bounces recorded more than a timeout ago get a warning (text/bounce-warn
// with the numbers of the messages that bounced, text/bounce-num); warnings that bounced
// get a probe (text/bounce-probe) one timeout later; a probe that bounces too makes
// ezmlm-return remove the address. So an address goes only after at least two timeouts
// of bouncing, and only if both the warning and the probe bounced. A warning that is
// delivered leaves nothing behind: the cycle starts afresh with the next bounce.
#pragma once

#include "qm/result.hpp"

#include <ctime>
#include <optional>
#include <string>

namespace qm::lists {

inline constexpr std::time_t default_bounce_timeout = 10 * 24 * 3600;

struct WarnRequest {
    std::string dir;
    bool digest = false;
    std::time_t timeout = default_bounce_timeout;
    // Runs closer together than this do nothing (ezmlm: timeout/50, 4.8 h by default).
    std::optional<std::time_t> lockout;
    std::time_t now = 0;
};

struct WarnOutcome {
    bool locked_out = false; // ran too recently: nothing looked at
    size_t warnings = 0, probes = 0;
    size_t not_subscribed = 0; // kept bounces of addresses that have left meanwhile
    size_t purged = 0;         // stale history files and uncounted lines removed
};

// Nothing to do (and no failure) when the list has nowarn.
[[nodiscard]] Result<WarnOutcome> run_warn(const WarnRequest& request);

} // namespace qm::lists

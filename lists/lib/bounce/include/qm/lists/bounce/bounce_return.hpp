// ezmlm-return (ezmlm-return(1)): what to do with a message that reached
// outlocal-return-<DEFAULT>@outhost, the list's bounce address. DEFAULT is
//   N-box=domain              a VERP bounce of message N to box@domain
//   N-                        a bounce of message N naming its recipients (QSBMF or DSN)
//   warn-T.COOKIE-box=domain  a bounced warning ezmlm-warn sent at T
//   probe-T.COOKIE-box=domain a bounced probe: the address is removed
//   (empty)                   the list's own return address: thrown away
// Only failures that say the address is dead (BounceVerdict::address) are recorded in
// the bounce directory and can lead to removal; transient and policy failures go to
// bounce/uncounted and never count.
#pragma once

#include "qm/result.hpp"

#include <ctime>
#include <string>
#include <vector>

namespace qm::lists {

struct ReturnRequest {
    std::string dir;
    bool digest = false; // the digest list: dir/digest's subscribers and bounce/
    std::string action;  // $DEFAULT
    std::string sender;  // $SENDER, for the kept bounce's Return-Path
    std::string message;
    std::time_t now = 0;
};

// What was done, one line per event, for the delivery log ("ezmlm-return: info: ...").
struct ReturnOutcome {
    std::vector<std::string> events;
};

// A return address that is not one of the shapes above is a permanent failure (the
// bounce bounces to the postmaster, as ezmlm's does); stale or forged cookies and
// reports about non-subscribers are handled (thrown away) with an event saying so.
[[nodiscard]] Result<ReturnOutcome> handle_return(const ReturnRequest& request);

} // namespace qm::lists

// ezmlm-limit (ezmlm-limit(1)): a brake on a flood of posts (a looping autoresponder, a
// malicious sender). dir/loopnum (or another file) holds "N:T", num and the time when
// counting started; when count posts or more arrive within secs seconds of that, the
// list becomes moderated (dir/modpost is created: ezmlm-store then holds posts for the
// moderators, nothing is lost) or, with defer, the post is deferred (qmail retries it
// later). A list that already has modpost is left alone.
#pragma once

#include "qm/result.hpp"

#include <ctime>
#include <string>

namespace qm::lists {

struct TrafficLimit {
    unsigned long count = 30;
    unsigned long secs = 3600;
    std::string file = "loopnum"; // relative to dir unless absolute
    bool defer = false;
};

enum class TrafficVerdict {
    within,    // go on
    moderated, // the limit was hit: dir/modpost now exists (this post goes to moderation)
};
// Takes dir/lock. Within the limit, or a new count started: within. Over it: moderated,
// or with defer a temporary failure saying so. A list without num is a permanent failure
// (as in ezmlm-idx 7: it has never had a post).
[[nodiscard]] Result<TrafficVerdict> limit_traffic(const std::string& dir,
                                                   const TrafficLimit& limit, std::time_t now);

} // namespace qm::lists

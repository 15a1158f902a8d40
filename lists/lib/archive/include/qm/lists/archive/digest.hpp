// Digests (ezmlm-get(1), ezmlm-tstdig(1)): the posts since the last digest, as one MIME
// digest to the subscribers in dir/digest, from outlocal-digest-help@outhost with the
// VERP sender outlocal-digest-return-N-@outhost-@[] (N = the digest's first message, as
// ezmlm-idx, so a bounce names the messages the subscriber missed). Digests are not
// archived (ezmlm-idx does not either).
//
// State, in ezmlm-idx's formats: dir/dignum "LAST:K:WHEN" (last message digested, num's
// K counter then, and the time of that digest) and dir/digissue "ISSUE:0". A digest is
// due when at least one post is undigested and dir/digcount posts (default 30), or
// dir/digsize KB of posts (default 64), or dir/digtime hours (default 48) have gathered
// since the last one; 0 turns that criterion off.
#pragma once

#include "qm/lists/archive/collection.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/result.hpp"

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>

namespace qm::lists {

struct DigestState {
    unsigned long last = 0;   // last message in the last digest
    unsigned long kbytes = 0; // num's K counter (256-byte units) at that time
    std::time_t when = 0;     // when it was sent
};
// A missing dignum reads as all zero.
[[nodiscard]] Result<DigestState> read_digest_state(const std::string& dir);
[[nodiscard]] Result<unsigned long> read_digest_issue(const std::string& dir);

struct DigestThresholds {
    unsigned long count = 30; // posts
    unsigned long kbytes = 64;
    unsigned long hours = 48;
};
[[nodiscard]] Result<DigestThresholds> read_digest_thresholds(const std::string& dir);
[[nodiscard]] bool digest_due(const DigestThresholds& t, const DigestState& s, const Num& num,
                              std::time_t now);

// ezmlm-tstdig's test, as ezmlm-idx 7 makes it: any criterion whose threshold is not 0
// is met (no check that a post is undigested: ezmlm-get then sends nothing). A list
// without num never qualifies.
[[nodiscard]] bool tstdig_criteria_met(const DigestThresholds& t, const DigestState& s,
                                       const Num& num, std::time_t now);
// ezmlm-tstdig in a list's editor: one digest run at a time. dir/tstdig holds when the
// last run was let through; another is let through (and the time written, fsynced) only
// when that is over an hour ago or a digest has been sent since. Holds dir/lock.
[[nodiscard]] Result<bool> claim_digest_run(const std::string& dir, const DigestState& s,
                                            std::time_t now);

enum class DigestTrigger {
    when_due, // after a post (the editor): only when digest_due
    now,      // list-dig.CODE, or run by hand or from cron
};
struct DigestSent {
    unsigned long issue = 0, first = 0, last = 0;
    size_t recipients = 0;
    pid_t qp = 0; // 0 when there are no digest subscribers (the state still advances)
};
// Sends the digest if there is anything to send (and, for when_due, it is due); nullopt
// when nothing was sent. Holds dir/lock throughout, so two deliveries never send the
// same posts twice. The state is written only after the digest is queued: a crash in
// between sends it again rather than losing it.
[[nodiscard]] Result<std::optional<DigestSent>> send_digest(const std::string& dir,
                                                            DigestTrigger trigger,
                                                            std::optional<CollectionFormat> format,
                                                            std::time_t now);

// For ezmlm-make when a list becomes digested: num gets its ":K" size counter (so digsize
// can work) and, unless there is one, dignum starts at the current message and now (so
// the first digest holds the posts from now on, not the whole archive).
[[nodiscard]] Status prepare_digest_state(const std::string& dir, std::time_t now);

} // namespace qm::lists

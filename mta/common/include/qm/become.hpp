// Giving up root for a role user, for good: what every program started as root does
// before it touches anything it did not choose itself (qmail-start for qmail-send and
// the logger, the network daemons after binding).
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <string>

namespace qm {

// Becomes user (its passwd uid and primary group, no supplementary groups; real, effective
// and saved ids), which clears every capability, and checks that root cannot be regained.
// A user that is missing or has uid or gid 0 is refused. Failures are temporary.
// Not for the child of a fork in a multi-threaded process (glibc's setuid is not
// async-signal-safe there): qm::local's delivery child does its own.
[[nodiscard]] Status become_user(const std::string& user);
// The same for ids found elsewhere (the owner of a file); who names them in errors.
// uid or gid 0 is refused.
[[nodiscard]] Status become_ids(uid_t uid, gid_t gid, const std::string& who);

} // namespace qm

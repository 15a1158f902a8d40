// qmail-send's retry schedule (qmail-send(8), THOUGHTS): attempts happen at ages
// (isqrt(age) + chanskip)^2 after the message's birth, so they grow quadratically and the
// schedule needs no per-message history; chanskip is 10 for local, 20 for remote.
#pragma once

#include <ctime>

namespace qm::send {

inline constexpr long chanskip_local = 10;
inline constexpr long chanskip_remote = 20;
inline constexpr std::time_t default_queue_lifetime = 604800;

[[nodiscard]] unsigned long isqrt(unsigned long n);
// The next attempt after a pass that started at now; birth is info/N's mtime.
[[nodiscard]] std::time_t next_retry(std::time_t birth, std::time_t now, long chanskip);
// True when a pass starting at now is the message's last chance (queuelifetime exceeded).
[[nodiscard]] constexpr bool is_dying(std::time_t birth, std::time_t now, std::time_t lifetime) {
    return now > birth + lifetime;
}

} // namespace qm::send

#include "qm/send/retry.hpp"

namespace qm::send {

unsigned long isqrt(unsigned long n) {
    // Newton's method on integers; converges from above, no floating point rounding.
    if (n < 2)
        return n;
    unsigned long x = n, y = (x + 1) / 2;
    while (y < x) {
        x = y;
        y = (x + n / x) / 2;
    }
    return x;
}

std::time_t next_retry(std::time_t birth, std::time_t now, long chanskip) {
    // A clock set back (now < birth) counts as age 0 rather than a huge unsigned age.
    const unsigned long age = now > birth ? static_cast<unsigned long>(now - birth) : 0;
    const auto n = static_cast<std::time_t>(isqrt(age)) + chanskip;
    return birth + n * n;
}

} // namespace qm::send

#include "qm/send/retry.hpp"

#include <catch2/catch.hpp>

using namespace qm::send;

TEST_CASE("isqrt is the floor of the square root", "[send][retry]") {
    for (unsigned long n : {0ul, 1ul, 2ul, 3ul, 4ul, 99ul, 100ul, 101ul, 604800ul, 4294967295ul}) {
        unsigned long s = isqrt(n);
        CHECK(s * s <= n);
        CHECK((s + 1) * (s + 1) > n);
    }
}

TEST_CASE("retry schedule is quadratic from birth", "[send][retry]") {
    const std::time_t birth = 1'000'000;
    // local: ages 0, 100, 400, 900, 1600 ...
    CHECK(next_retry(birth, birth, chanskip_local) == birth + 100);
    CHECK(next_retry(birth, birth + 100, chanskip_local) == birth + 400);
    CHECK(next_retry(birth, birth + 399, chanskip_local) == birth + 29 * 29);
    CHECK(next_retry(birth, birth + 400, chanskip_local) == birth + 900);
    // remote: ages 0, 400, 1600, 3600 ...
    CHECK(next_retry(birth, birth, chanskip_remote) == birth + 400);
    CHECK(next_retry(birth, birth + 400, chanskip_remote) == birth + 1600);
    CHECK(next_retry(birth, birth + 1600, chanskip_remote) == birth + 3600);
    // a clock set back counts as age 0
    CHECK(next_retry(birth, birth - 50, chanskip_local) == birth + 100);
}

TEST_CASE("attempt counts within the default lifetime match qmail", "[send][retry]") {
    auto attempts = [](long skip) {
        std::time_t birth = 0, t = 0;
        int n = 0;
        while (t <= default_queue_lifetime) {
            ++n;
            t = next_retry(birth, t, skip);
        }
        return n;
    };
    CHECK(attempts(chanskip_local) == 78);
    CHECK(attempts(chanskip_remote) == 39);
}

TEST_CASE("dying after queuelifetime", "[send][retry]") {
    CHECK_FALSE(is_dying(1000, 1000 + 604800, 604800));
    CHECK(is_dying(1000, 1000 + 604801, 604800));
}

// The environment rule for programs that may run privileged (qm/env.hpp).
#include "qm/env.hpp"
#include "qm/home.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

TEST_CASE("a privileged run reads nothing from its environment", "[common][env]") {
    ::setenv("QMAILQUEUE", "/tmp/not-qmail-queue", 1);
    CHECK(qm::env_value("QMAILQUEUE", true) == std::nullopt);
    CHECK(qm::env_value("QMAILQUEUE", false) == "/tmp/not-qmail-queue");
    // The test itself is no set-uid program: env() and the programs' lookups see it.
    REQUIRE_FALSE(qm::privileged());
    CHECK(qm::env("QMAILQUEUE") == "/tmp/not-qmail-queue");
    CHECK(qm::qmail_queue_program() == "/tmp/not-qmail-queue");
    ::unsetenv("QMAILQUEUE");
    CHECK(qm::env_value("QMAILQUEUE", false) == std::nullopt);
}

#include "qm/verdict.hpp"

#include <catch2/catch.hpp>

TEST_CASE("a verdict is qmail's report letter and text", "[verdict]") {
    CHECK(qm::Verdict::success().letter() == 'K');
    CHECK(qm::Verdict::temporary("x\n").letter() == 'Z');
    CHECK(qm::Verdict::permanent("x\n").letter() == 'D');
    CHECK(qm::Verdict::kind_of('K') == qm::Verdict::Kind::success);
    CHECK(qm::Verdict::kind_of('Z') == qm::Verdict::Kind::temporary);
    CHECK(qm::Verdict::kind_of('D') == qm::Verdict::Kind::permanent);
    CHECK_FALSE(qm::Verdict::kind_of('k'));
    CHECK_FALSE(qm::Verdict::kind_of('\0'));
}

TEST_CASE("a failure becomes a verdict with its status code", "[verdict]") {
    const auto t = qm::Verdict::of(qm::temp("4.3.0", "Unable to find alias user!"));
    CHECK(t.letter() == 'Z');
    CHECK(t.text == "Unable to find alias user! (#4.3.0)\n");
    const auto p = qm::Verdict::of(qm::perm("5.1.1", "Sorry, no mailbox here by that name."));
    CHECK(p.letter() == 'D');
    CHECK(p.text == "Sorry, no mailbox here by that name. (#5.1.1)\n");
}

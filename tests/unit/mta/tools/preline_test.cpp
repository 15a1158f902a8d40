#include "qm/tools/child.hpp"
#include "qm/tools/preline.hpp"

#include <catch2/catch.hpp>

#include <cerrno>

TEST_CASE("preline options stop at the command", "[tools][preline]") {
    auto r = qm::tools::parse_preline_args({"-fr", "-R", "cat", "-d", "x"});
    REQUIRE(r);
    CHECK_FALSE(r->ufline);
    CHECK(r->rpline);
    CHECK(r->dtline);
    CHECK(r->command == std::vector<std::string>{"cat", "-d", "x"});

    auto dashdash = qm::tools::parse_preline_args({"-d", "--", "-weird"});
    REQUIRE(dashdash);
    CHECK_FALSE(dashdash->dtline);
    CHECK(dashdash->command == std::vector<std::string>{"-weird"});
}

TEST_CASE("preline usage errors are permanent", "[tools][preline]") {
    auto none = qm::tools::parse_preline_args({"-f"});
    REQUIRE_FALSE(none);
    CHECK(none.error().permanent());
    auto bad = qm::tools::parse_preline_args({"-x", "cat"});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().permanent());
}

TEST_CASE("preline prefix keeps qmail's order", "[tools][preline]") {
    qm::tools::PrelineLines lines{"From a Thu Jan  1 00:00:00 1970\n", "Return-Path: <a>\n",
                                  "Delivered-To: b@c\n"};
    qm::tools::PrelineRequest all;
    CHECK(qm::tools::preline_prefix(all, lines) ==
          "From a Thu Jan  1 00:00:00 1970\nReturn-Path: <a>\nDelivered-To: b@c\n");
    qm::tools::PrelineRequest some;
    some.ufline = false;
    some.dtline = false;
    CHECK(qm::tools::preline_prefix(some, lines) == "Return-Path: <a>\n");
}

TEST_CASE("run_condition reads exit codes as bouncesaying does", "[tools][child]") {
    auto yes = qm::tools::run_condition({"sh", "-c", "exit 0"});
    REQUIRE(yes);
    CHECK(*yes);
    auto no = qm::tools::run_condition({"sh", "-c", "exit 1"});
    REQUIRE(no);
    CHECK_FALSE(*no);
    auto hard = qm::tools::run_condition({"sh", "-c", "exit 100"});
    REQUIRE(hard);
    CHECK_FALSE(*hard);
    auto soft = qm::tools::run_condition({"sh", "-c", "exit 111"});
    REQUIRE_FALSE(soft);
    CHECK_FALSE(soft.error().permanent());
    auto crash = qm::tools::run_condition({"sh", "-c", "kill -SEGV $$"});
    REQUIRE_FALSE(crash);
    CHECK_FALSE(crash.error().permanent());
    // A program that does not exist stands for exit 100: not a match.
    auto missing = qm::tools::run_condition({"/nonexistent/program"});
    REQUIRE(missing);
    CHECK_FALSE(*missing);
}

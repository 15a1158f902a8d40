#include "qm/lists/core/command_address.hpp"

#include <catch2/catch.hpp>

using qm::lists::decode_target;
using qm::lists::parse_confirmation;

TEST_CASE("targets are written box=domain and read back", "[lists][command]") {
    CHECK(qm::lists::encode_target("joe@far.example") == "joe=far.example");
    CHECK(decode_target("joe=far.example") == "joe@far.example");
    // The last '=' separates: a box may itself hold '=' (SRS, VERP addresses).
    CHECK(decode_target("srs0=ab=cd=joe=far.example") == "srs0=ab=cd=joe@far.example");
    CHECK(decode_target("a-b.c+d=far.example") == "a-b.c+d@far.example");
}

TEST_CASE("targets with tricks in them are refused", "[lists][command]") {
    for (const char* bad :
         {"", "joe", "=far.example", "joe=", "joe@evil=far.example", "joe=far@evil.example",
          "joe=.far.example", "joe=far..example", "jo e=far.example", "joe=far.example\n",
          "joe<x>=far.example", "\"joe\"=far.example", "joe=[127.0.0.1]", "jo\\e=far.example",
          "joe=far.example,eve=x.example"})
        CHECK_FALSE(decode_target(bad));
}

TEST_CASE("confirmation parts are a decimal time, a dot and 20 letters a-p", "[lists][command]") {
    auto c = parse_confirmation("1700000000.kpjgaoohbkefgcnmdjlb");
    REQUIRE(c);
    CHECK(c->when == 1'700'000'000);
    CHECK(c->cookie == "kpjgaoohbkefgcnmdjlb");
    CHECK(qm::lists::format_confirmation(*c) == "1700000000.kpjgaoohbkefgcnmdjlb");
    for (const char* bad :
         {"", ".kpjgaoohbkefgcnmdjlb", "1700000000", "1700000000.",
          "1700000000.kpjgaoohbkefgcnmdjl", "1700000000.kpjgaoohbkefgcnmdjlbb",
          "1700000000.kpjgaoohbkefgcnmdjlz", "-1700000000.kpjgaoohbkefgcnmdjlb",
          "17x0000000.kpjgaoohbkefgcnmdjlb", "99999999999999999.kpjgaoohbkefgcnmdjlb",
          "1700000000.KPJGAOOHBKEFGCNMDJLB"})
        CHECK_FALSE(parse_confirmation(bad));
}

TEST_CASE("confirmation addresses have ezmlm's shape", "[lists][command]") {
    qm::lists::ListInfo list{"/l", "team", "lists.example"};
    qm::lists::Confirmation c{1'700'000'000, "kpjgaoohbkefgcnmdjlb"};
    CHECK(qm::lists::confirmation_address(list, "sc", c, "joe@far.example") ==
          "team-sc.1700000000.kpjgaoohbkefgcnmdjlb-joe=far.example@lists.example");
    CHECK(qm::lists::confirmation_address(list, "return-warn-", c, "joe@far.example") ==
          "team-return-warn-1700000000.kpjgaoohbkefgcnmdjlb-joe=far.example@lists.example");
}

#include "qm/lists/core/clock.hpp"

#include <cstdlib>

TEST_CASE("QM_LISTS_NOW fixes the list programs' clock", "[lists][clock]") {
    ::setenv("QM_LISTS_NOW", "1700000000", 1);
    CHECK(qm::lists::now() == 1'700'000'000);
    ::setenv("QM_LISTS_NOW", "17x", 1);
    CHECK(qm::lists::now() > 1'700'000'000);
    ::unsetenv("QM_LISTS_NOW");
    CHECK(qm::lists::now() > 1'700'000'000);
}

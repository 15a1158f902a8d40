#include "qm/address.hpp"

#include <catch2/catch.hpp>

TEST_CASE("split at the last @", "[common][address]") {
    auto p = qm::address::split("a@b@c.example");
    CHECK(p.local == "a@b");
    CHECK(p.domain == "c.example");
    CHECK(qm::address::split("joe").domain.empty());
}

TEST_CASE("quote local parts that are not dot-atoms", "[common][address]") {
    CHECK(qm::address::quote("joe@x.example") == "joe@x.example");
    CHECK(qm::address::quote("joe smith@x.example") == "\"joe smith\"@x.example");
    CHECK(qm::address::quote("a..b@x") == "\"a..b\"@x");
    CHECK(qm::address::quote_for_header("") == "");
    CHECK(qm::address::quote_for_header("#@[]") == "#@[]");
}

TEST_CASE("the Return-Path line of a delivered message", "[common][address]") {
    using qm::address::return_path_line;
    CHECK(return_path_line("joe@x.example") == "Return-Path: <joe@x.example>\n");
    CHECK(return_path_line("") == "Return-Path: <>\n");
    CHECK(return_path_line("#@[]") == "Return-Path: <#@[]>\n");
    CHECK(return_path_line("joe smith@x.example") == "Return-Path: <\"joe smith\"@x.example>\n");
    CHECK(return_path_line("a\nb@x.example") == "Return-Path: <\"a_b\"@x.example>\n");
}

TEST_CASE("RFC 5321 paths", "[common][address]") {
    auto p = qm::address::parse_path("<joe@x.example> SIZE=100");
    REQUIRE(p);
    CHECK(p->address == "joe@x.example");
    CHECK(p->params == "SIZE=100");
    CHECK(qm::address::parse_path("<>")->address.empty());
    CHECK(qm::address::parse_path("<@relay.example,@b.example:joe@x.example>")->address ==
          "joe@x.example");
    CHECK(qm::address::parse_path("<\"joe>x\"@y>")->address == "joe>x@y");
    CHECK_FALSE(qm::address::parse_path("joe@x"));
    CHECK_FALSE(qm::address::parse_path("<joe@x"));
    CHECK(qm::address::parse_path("<joe@x").error().permanent());
    // NUL, CR and LF never reach the envelope, escaped or not.
    using namespace std::string_view_literals;
    for (auto bad : {"<jo\0e@x>"sv, "<jo\\\0e@x>"sv, "<\"jo\\\re\"@x>"sv, "<jo\\\ne@x>"sv}) {
        auto r = qm::address::parse_path(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().permanent());
    }
    CHECK(qm::address::parse_path("<jo\\e@x>")->address == "joe@x");
}

#include "qm/send/spawn_protocol.hpp"

#include <catch2/catch.hpp>

using namespace qm::send::spawn;
using namespace std::string_literals;

TEST_CASE("qmail-lspawn protocol round trip, split across reads", "[send][lspawn]") {
    Request d{'D', 7, {"12345", "list-bob=x@l.example", "bob@test.example"}};
    Request c{'C', 8, {"t", "12345"}};
    const std::string wire = encode(d) + encode(c);
    CHECK(wire == "D7\0"
                  "12345\0list-bob=x@l.example\0bob@test.example\0C8\0t\0"
                  "12345\0"s);
    std::string buf;
    std::vector<Request> got;
    for (char ch : wire) { // one byte at a time: partial requests wait for more
        buf += ch;
        auto r = take_request(buf);
        REQUIRE(r);
        if (*r)
            got.push_back(**r);
    }
    REQUIRE(got.size() == 2);
    CHECK(got[0].kind == 'D');
    CHECK(got[0].num == 7);
    CHECK(got[0].fields == d.fields);
    CHECK(got[1].kind == 'C');
    CHECK(got[1].fields == c.fields);
    CHECK(buf.empty());

    std::string rbuf = encode(Reply{7, {qm::Verdict::Kind::temporary, "busy\0x\n"s}}) + "8\0K\0"s;
    auto r1 = take_reply(rbuf);
    REQUIRE(r1);
    REQUIRE(*r1);
    CHECK((*r1)->verdict.letter() == 'Z');
    CHECK((*r1)->verdict.text == "busyx\n"); // NULs never reach the wire
    auto r2 = take_reply(rbuf);
    REQUIRE((r2 && *r2));
    CHECK((*r2)->num == 8);
    CHECK((*r2)->verdict.letter() == 'K');
}

TEST_CASE("a local delivery of a journaled message carries its journal id", "[send][lspawn]") {
    Request j{'J', 9, {"12345", "4294967297", "s@x.example", "bob@test.example"}};
    std::string wire = encode(j);
    CHECK(wire == "J9\0"
                  "12345\0"
                  "4294967297\0s@x.example\0bob@test.example\0"s);
    auto r = take_request(wire);
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((*r)->kind == 'J');
    CHECK((*r)->fields == j.fields);
    CHECK((*r)->replies() == 1);
    CHECK(wire.empty());
    // Three fields after the number are a J cut short: it waits for the fourth.
    std::string partial = "J9\0"
                          "12345\0"
                          "1\0s@x.example\0"s;
    auto more = take_request(partial);
    REQUIRE(more);
    CHECK_FALSE(*more);
}

TEST_CASE("qmail-lspawn protocol rejects garbage", "[send][lspawn]") {
    std::string bad = "X1\0"s;
    CHECK_FALSE(take_request(bad));
    std::string badnum = "Dx\0a\0b\0c\0"s;
    CHECK_FALSE(take_request(badnum));
}

TEST_CASE("a malformed qmail-lspawn reply defers its own delivery only", "[send][lspawn]") {
    // A bad letter: that delivery is deferred, the stream goes on.
    std::string buf = "1\0Q\0"s + "2\0K\0"s;
    auto r1 = take_reply(buf);
    REQUIRE(r1);
    REQUIRE(*r1);
    CHECK((*r1)->num == 1);
    CHECK((*r1)->verdict.letter() == 'Z');
    CHECK((*r1)->verdict.text == "qmail-lspawn sent a malformed report. (#4.3.0)\n");
    // No letter at all: the same.
    std::string empty = "3\0\0"s;
    auto r3 = take_reply(empty);
    REQUIRE((r3 && *r3));
    CHECK((*r3)->verdict.letter() == 'Z');
    // A bad number names no delivery: an error, but consumed, so the next reply is read.
    std::string badnum = "x\0K\0"s + "4\0D\0"s;
    CHECK_FALSE(take_reply(badnum));
    auto r4 = take_reply(badnum);
    REQUIRE((r4 && *r4));
    CHECK((*r4)->num == 4);
    CHECK((*r4)->verdict.letter() == 'D');
    auto r2 = take_reply(buf);
    REQUIRE((r2 && *r2));
    CHECK((*r2)->num == 2);
    CHECK((*r2)->verdict.letter() == 'K');
}

TEST_CASE("a remote attempt carries its recipients and gets one reply each", "[send][rspawn]") {
    Request r{'R', 41, {"12345", "list-return@l.example", "a@x.example", "b@x.example"}};
    CHECK(r.replies() == 2);
    const std::string wire = encode(r);
    CHECK(wire == "R41\0"
                  "12345\0list-return@l.example\0"
                  "2\0a@x.example\0b@x.example\0"s);
    std::string buf;
    for (size_t i = 0; i + 1 < wire.size(); ++i) { // every prefix waits for more
        buf = wire.substr(0, i);
        auto partial = take_request(buf);
        REQUIRE(partial);
        CHECK_FALSE(*partial);
    }
    buf = wire + "C42\0m\0"
                 "12345\0"s;
    auto got = take_request(buf);
    REQUIRE(got);
    REQUIRE(*got);
    CHECK((*got)->kind == 'R');
    CHECK((*got)->num == 41);
    CHECK((*got)->fields == r.fields);
    CHECK(buf == "C42\0m\0"
                 "12345\0"s);

    std::string none = "R1\0"
                       "5\0s@x\0"
                       "0\0"s;
    CHECK_FALSE(take_request(none)); // no recipient at all: qmail-send is broken
    std::string huge = "R1\0"
                       "5\0s@x\0"
                       "99999\0"s;
    CHECK_FALSE(take_request(huge));

    std::string replies = encode(Reply{41, qm::Verdict::success("ok\n")}) +
                          encode(Reply{42, qm::Verdict::permanent("no\n")});
    auto a = take_reply(replies, "qmail-rspawn");
    auto b = take_reply(replies, "qmail-rspawn");
    REQUIRE((a && *a && b && *b));
    CHECK((*a)->num == 41);
    CHECK((*b)->verdict.letter() == 'D');
    std::string bad = "43\0?x\0"s;
    auto c = take_reply(bad, "qmail-rspawn");
    REQUIRE((c && *c));
    CHECK((*c)->verdict.text == "qmail-rspawn sent a malformed report. (#4.3.0)\n");
}

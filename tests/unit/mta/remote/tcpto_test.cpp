#include "qm/remote/tcpto.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;
using boost::asio::ip::make_address;
using qm::remote::TcptoTable;

namespace {

const std::string empty_v4(1024, '\0');
constexpr std::time_t t0 = 1'700'000'000;
const std::time_t backoff = qm::remote::tcpto_backoff(0); // 3840 s

} // namespace

TEST_CASE("tcpto: qmail's backoff is (60 + (pid & 31)) << 6 seconds", "[remote][tcpto]") {
    CHECK(qm::remote::tcpto_backoff(0) == 3840);
    CHECK(qm::remote::tcpto_backoff(31) == 5824);
    CHECK(qm::remote::tcpto_backoff(32) == 3840);
}

TEST_CASE("tcpto: qmail's record bytes - address, count, little-endian time", "[remote][tcpto]") {
    TcptoTable t(qm::remote::tcpto_v4, empty_v4);
    const auto i = t.timed_out(make_address("192.0.2.7"), 0x01020304);
    REQUIRE(i == 0u);
    CHECK(t.record(0) == "\xc0\x00\x02\x07\x01\x00\x00\x00\x04\x03\x02\x01\x00\x00\x00\x00"s);

    TcptoTable t6(qm::remote::tcpto_v6, std::string(2048, '\0'));
    REQUIRE(t6.timed_out(make_address("2001:db8::1"), 0x01020304) == 0u);
    CHECK(t6.record(0) == "\x20\x01\x0d\xb8"s + std::string(11, '\0') + "\x01"s + "\x01"s +
                              std::string(7, '\0') + "\x04\x03\x02\x01"s + std::string(4, '\0'));
    // An address of the other family is never in a table.
    CHECK_FALSE(t.timed_out(make_address("2001:db8::1"), t0));
    CHECK_FALSE(t6.down(make_address("192.0.2.7"), 0x01020304, backoff));
}

TEST_CASE("tcpto: two timeouts 2 minutes apart make a host down for the backoff",
          "[remote][tcpto]") {
    TcptoTable t(qm::remote::tcpto_v4, empty_v4);
    const auto ip = make_address("192.0.2.1");
    CHECK_FALSE(t.down(ip, t0, backoff));
    REQUIRE(t.timed_out(ip, t0));
    CHECK_FALSE(t.down(ip, t0 + 1, backoff)); // one timeout is not enough
    // Within 120 s of the last one: the same outage, not counted.
    CHECK_FALSE(t.timed_out(ip, t0 + 119));
    CHECK(t.entries().at(0).timeouts == 1);
    REQUIRE(t.timed_out(ip, t0 + 120));
    CHECK(t.entries().at(0).timeouts == 2);
    CHECK(t.entries().at(0).when == t0 + 120);
    CHECK(t.down(ip, t0 + 120, backoff));
    CHECK(t.down(ip, t0 + 120 + backoff - 1, backoff));
    CHECK_FALSE(t.down(ip, t0 + 120 + backoff, backoff)); // time to probe again
    CHECK_FALSE(t.down(ip, t0, backoff));                 // a clock set back
    CHECK_FALSE(t.down(make_address("192.0.2.2"), t0 + 120, backoff));
}

TEST_CASE("tcpto: the count stops at 10 - an answer resets it", "[remote][tcpto]") {
    TcptoTable t(qm::remote::tcpto_v4, empty_v4);
    const auto ip = make_address("192.0.2.1");
    for (int k = 0; k < 15; ++k)
        REQUIRE(t.timed_out(ip, t0 + k * 1000));
    CHECK(t.entries().at(0).timeouts == 10);
    REQUIRE(t.responded(ip) == 0u);
    CHECK(t.entries().empty());
    CHECK_FALSE(t.down(ip, t0 + 14000, backoff));
    CHECK_FALSE(t.responded(ip)); // nothing to write back
    CHECK_FALSE(t.responded(make_address("192.0.2.9")));
    // The record is reused for the same address, not a second one.
    REQUIRE(t.timed_out(ip, t0 + 20000) == 0u);
    CHECK(t.entries().at(0).timeouts == 1);
}

TEST_CASE("tcpto: a full table evicts the smallest when + (count << 10)", "[remote][tcpto]") {
    TcptoTable t(qm::remote::tcpto_v4, empty_v4);
    for (int k = 0; k < 64; ++k)
        REQUIRE(t.timed_out(make_address("10.0.0." + std::to_string(k)), t0 + 10 * k) ==
                static_cast<size_t>(k));
    // 10.0.0.0 has the smallest when; give it a second timeout (worth + 1024 - 0 s) so that
    // 10.0.0.1 (when t0 + 10) becomes the cheapest.
    REQUIRE(t.timed_out(make_address("10.0.0.0"), t0 + 200) == 0u);
    REQUIRE(t.timed_out(make_address("192.0.2.1"), t0 + 5000) == 1u);
    const auto e = t.entries();
    REQUIRE(e.size() == 64);
    CHECK(e[1].ip == make_address("192.0.2.1"));
    CHECK(e[1].timeouts == 1);
}

TEST_CASE("tcpto: a short file holds fewer records - an empty one none", "[remote][tcpto]") {
    TcptoTable half(qm::remote::tcpto_v4, std::string(40, '\0'));
    CHECK(half.size() == 2);
    TcptoTable none(qm::remote::tcpto_v4, "");
    CHECK_FALSE(none.timed_out(make_address("192.0.2.1"), t0));
    CHECK(none.entries().empty());
}

TEST_CASE("tcpto: qmail-tcpto's line", "[remote][tcpto]") {
    const qm::remote::TcptoEntry e{make_address("192.0.2.1"), 2, t0};
    CHECK(qm::remote::format_tcpto_entry(e, t0 + 75) ==
          "192.0.2.1 timed out 75 seconds ago; # recent timeouts: 2\n");
}

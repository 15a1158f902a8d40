#include "qm/netstring.hpp"

#include <catch2/catch.hpp>

TEST_CASE("netstring encode and decode", "[common][netstring]") {
    CHECK(qm::netstring::encode("hello world!") == "12:hello world!,");
    CHECK(qm::netstring::encode("") == "0:,");
    auto d = qm::netstring::decode("12:hello world!,rest");
    REQUIRE(d);
    REQUIRE(*d);
    CHECK((*d)->payload == "hello world!");
    CHECK((*d)->consumed == 16);
}

TEST_CASE("netstring incomplete and malformed input", "[common][netstring]") {
    auto partial = qm::netstring::decode("12:hello");
    REQUIRE(partial);
    CHECK_FALSE(*partial);
    CHECK_FALSE(qm::netstring::decode("x:abc,"));
    CHECK_FALSE(qm::netstring::decode("03:abc,"));
    CHECK_FALSE(qm::netstring::decode("3:abc;"));
    CHECK_FALSE(qm::netstring::decode(":abc,"));
    CHECK_FALSE(qm::netstring::decode("999999999999:", 1000));
}

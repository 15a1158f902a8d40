#include "qm/dns/lookup.hpp"

#include <catch2/catch.hpp>

TEST_CASE("dns: address literals", "[dns]") {
    using qm::dns::ip_literal;
    CHECK(ip_literal("[127.0.0.1]")->to_string() == "127.0.0.1");
    CHECK(ip_literal("10.1.2.3")->to_string() == "10.1.2.3");
    CHECK(ip_literal("[IPv6:::1]")->to_string() == "::1");
    CHECK_FALSE(ip_literal("mx.example"));
    CHECK_FALSE(ip_literal("[mx.example]"));
    CHECK_FALSE(ip_literal("1.2.3"));
}

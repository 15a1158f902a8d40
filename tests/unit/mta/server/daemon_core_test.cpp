#include "qm/server/daemon_core.hpp"
#include "qm/server/listener.hpp"

#include <catch2/catch.hpp>

TEST_CASE("listen addresses: IPv4, bracketed IPv6, every address, and bad ones",
          "[server][listener]") {
    using qm::server::parse_listen;
    CHECK(qm::server::endpoint_text(*parse_listen("127.0.0.1:2525")) == "127.0.0.1:2525");
    CHECK(qm::server::endpoint_text(*parse_listen("[::1]:2525")) == "::1:2525");
    auto any = parse_listen(":25");
    REQUIRE(any);
    CHECK(any->address().is_unspecified());
    CHECK(any->address().is_v6()); // one socket for IPv4 and IPv6
    for (const char* bad :
         {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:smtp", "no.such.address:25"}) {
        auto r = parse_listen(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().severity == qm::Severity::permanent);
        CHECK(r.error().text.find(bad) != std::string::npos);
    }
}

TEST_CASE("per-address limits count an IPv4 address alone and IPv6 by /64", "[server][limits]") {
    using qm::server::ip_key;
    CHECK(ip_key("192.0.2.7") == "192.0.2.7");
    CHECK(ip_key("::ffff:192.0.2.7") == "192.0.2.7");
    CHECK(ip_key("2001:db8:1:2:aaaa::1") == ip_key("2001:db8:1:2:bbbb::2"));
    CHECK(ip_key("2001:db8:1:2::1") != ip_key("2001:db8:1:3::1"));
    CHECK(ip_key("2001:db8:1:2::1") == "2001:db8:1:2::/64");
    CHECK(ip_key("unknown") == "unknown");
    CHECK(qm::server::default_per_ip_limit(100) == 50);
    CHECK(qm::server::default_per_ip_limit(1) == 1);
}

TEST_CASE("a rule's MAXCONNIP is the address's limit, anything else is no limit",
          "[server][limits][tcprules]") {
    using qm::server::rule_per_ip_limit;
    CHECK(rule_per_ip_limit({{"RELAYCLIENT", ""}, {"MAXCONNIP", "3"}}) == 3);
    CHECK(rule_per_ip_limit({{"RELAYCLIENT", ""}}) == 0);
    CHECK(rule_per_ip_limit({{"MAXCONNIP", "many"}}) == 0);
}

TEST_CASE("a daemon admits an address up to its limit and frees a slot when it goes",
          "[server][limits]") {
    qm::server::DaemonCore core(1, 10, 2);
    auto a = core.admit("192.0.2.7", 0);
    auto b = core.admit("192.0.2.7", 0);
    REQUIRE(a);
    REQUIRE(b);
    CHECK_FALSE(core.admit("192.0.2.7", 0));
    CHECK(core.admit("192.0.2.8", 0));
    CHECK(core.admit("192.0.2.7", 3)); // a rule's own limit
    b.reset();
    CHECK(core.admit("192.0.2.7", 0));
    a.reset();
    CHECK(core.per_ip.empty()); // every slot given back: no memory kept for an address
}

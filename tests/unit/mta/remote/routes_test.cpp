#include "qm/remote/routes.hpp"

#include <catch2/catch.hpp>

using qm::remote::parse_relay;
using qm::remote::Routes;

TEST_CASE("smtproutes: relay - port and address literal forms", "[remote][routes]") {
    auto r = parse_relay("mx.example:2525");
    CHECK(r.host == "mx.example");
    CHECK(r.port == 2525);
    r = parse_relay("[10.0.0.1]");
    CHECK(r.host == "[10.0.0.1]");
    CHECK(r.port == 25);
    r = parse_relay("[IPv6:::1]:26");
    CHECK(r.host == "[IPv6:::1]");
    CHECK(r.port == 26);
    r = parse_relay(":2526"); // MX lookup on another port
    CHECK(r.host.empty());
    CHECK(r.port == 2526);
    CHECK(parse_relay("x:junk").port == 25);
}

TEST_CASE("smtproutes: exact beats wildcard beats catch-all - first line wins",
          "[remote][routes]") {
    Routes routes;
    routes.set({"a.example:relay-a", ".a.example:relay-sub:26", "b.example:", "a.example:second",
                ":smarthost:587", "noline"});
    CHECK(routes.lookup("A.Example")->host == "relay-a");
    auto sub = routes.lookup("x.y.a.example");
    CHECK(sub->host == "relay-sub");
    CHECK(sub->port == 26);
    CHECK(routes.lookup("b.example")->host.empty()); // empty relay: MX
    auto other = routes.lookup("elsewhere.example");
    CHECK(other->host == "smarthost");
    CHECK(other->port == 587);
    Routes none;
    none.set({".sub.example:r"});
    CHECK_FALSE(none.lookup("sub.example")); // ".sub.example" is subdomains only
    CHECK(none.lookup("x.sub.example")->host == "r");
}

TEST_CASE("qmtproutes: the same lines - a relay without a port gets QMTP's port",
          "[remote][routes]") {
    Routes qmtp(209);
    qmtp.set({"lists.example:[127.0.0.1]", "big.example:mx.big.example:2209",
              "mx.example:", "junk.example:relay:0"});
    CHECK(qmtp.lookup("lists.example")->port == 209);
    CHECK(qmtp.lookup("lists.example")->host == "[127.0.0.1]");
    CHECK(qmtp.lookup("big.example")->port == 2209);
    CHECK(qmtp.lookup("mx.example")->host.empty()); // the MXes, each over QMTP
    CHECK(qmtp.lookup("mx.example")->port == 209);
    CHECK(qmtp.lookup("junk.example")->port == 209); // a port out of range counts as none
    CHECK_FALSE(qmtp.lookup("other.example"));
}

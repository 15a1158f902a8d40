#include "qm/remote/routes.hpp"

#include <catch2/catch.hpp>

using qm::remote::parse_relay;
using qm::remote::SmtpRoutes;

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
    SmtpRoutes routes;
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
    SmtpRoutes none;
    none.set({".sub.example:r"});
    CHECK_FALSE(none.lookup("sub.example")); // ".sub.example" is subdomains only
    CHECK(none.lookup("x.sub.example")->host == "r");
}

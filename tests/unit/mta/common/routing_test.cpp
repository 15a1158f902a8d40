#include "qm/routing.hpp"

#include <catch2/catch.hpp>

using qm::route;
using qm::Routing;

namespace {

Routing sample() {
    Routing r;
    r.envnoathost = "test.example";
    r.set_locals({"test.example", "Other.Example"});
    r.set_percenthack({"relay.example"});
    r.set_virtualdomains({"virt.example:alice", "joe@virt2.example:joe", "virt2.example:bob",
                          ".nowhere.mil:nm", "except.nowhere.mil:", "nolines", ":catchall"});
    return r;
}

} // namespace

TEST_CASE("routing: locals and envnoathost", "[send][routing]") {
    auto r = sample();
    CHECK(route(r, "bob@test.example").local);
    CHECK(route(r, "bob@test.example").address == "bob@test.example");
    CHECK(route(r, "bob@OTHER.example").local); // case-insensitive, case kept
    CHECK(route(r, "bob@OTHER.example").address == "bob@OTHER.example");
    auto bare = route(r, "postmaster");
    CHECK(bare.local);
    CHECK(bare.address == "postmaster@test.example");
}

TEST_CASE("routing: virtualdomains in qmail's order", "[send][routing]") {
    auto r = sample();
    auto v = route(r, "Info@Virt.Example");
    CHECK(v.local);
    CHECK(v.address == "alice-Info@Virt.Example");
    CHECK(route(r, "joe@virt2.example").address == "joe-joe@virt2.example"); // user@domain
    CHECK(route(r, "ann@virt2.example").address == "bob-ann@virt2.example");
    CHECK(route(r, "x@a.nowhere.mil").address == "nm-x@a.nowhere.mil"); // .suffix
    // ".nowhere.mil" covers subdomains only; nowhere.mil itself falls to the catch-all.
    CHECK(route(r, "x@nowhere.mil").address == "catchall-x@nowhere.mil");
    auto ex = route(r, "x@except.nowhere.mil"); // empty prepend = exception
    CHECK_FALSE(ex.local);
    CHECK(ex.address == "x@except.nowhere.mil");
}

TEST_CASE("routing: remote when nothing matches", "[send][routing]") {
    Routing r;
    r.envnoathost = "test.example";
    r.set_locals({"test.example"});
    auto x = route(r, "someone@far.example");
    CHECK_FALSE(x.local);
    CHECK(x.address == "someone@far.example");
}

TEST_CASE("routing: locals win over virtualdomains", "[send][routing]") {
    Routing r;
    r.envnoathost = "test.example";
    r.set_locals({"test.example"});
    r.set_virtualdomains({"test.example:alice"});
    CHECK(route(r, "bob@test.example").address == "bob@test.example");
}

TEST_CASE("routing: percenthack", "[send][routing]") {
    Routing r;
    r.envnoathost = "test.example";
    r.set_locals({"test.example"});
    r.set_percenthack({"relay.example"});
    auto x = route(r, "joe%far.example@relay.example");
    CHECK_FALSE(x.local);
    CHECK(x.address == "joe@far.example");
    // repeated while the new domain is listed too
    Routing r2 = r;
    r2.set_percenthack({"relay.example", "hop.example"});
    CHECK(route(r2, "a%test.example%hop.example@relay.example").address == "a@test.example");
    CHECK(route(r2, "a%test.example%hop.example@relay.example").local);
    // a domain not listed keeps its %
    CHECK(route(r, "a%b@far.example").address == "a%b@far.example");
}

TEST_CASE("routing: strip_vdom_prepend", "[send][routing]") {
    auto r = sample();
    CHECK(strip_vdom_prepend(r, "alice-Info@virt.example") == "Info@virt.example");
    CHECK(strip_vdom_prepend(r, "nm-x@a.nowhere.mil") == "x@a.nowhere.mil");
    CHECK(strip_vdom_prepend(r, "bob@test.example") == "bob@test.example");
    CHECK(strip_vdom_prepend(r, "alicex@virt.example") == "alicex@virt.example");
}

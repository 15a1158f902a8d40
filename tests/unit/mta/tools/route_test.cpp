#include "qm/tools/route.hpp"

#include <catch2/catch.hpp>

namespace {

qm::tools::Routes sample() {
    qm::tools::Routes r;
    r.envnoathost = "test.example";
    r.locals = {"test.example", "localhost"};
    r.virtualdomains = {{"joe@virt.example", "joe-special"},
                        {"virt.example", "virt"},
                        {".wild.example", "wild"},
                        {"except.wild.example", ""}};
    return r;
}

} // namespace

TEST_CASE("locals and bare names are local", "[tools][route]") {
    auto r = sample();
    CHECK(qm::tools::is_local(r, "bob@test.example"));
    CHECK(qm::tools::is_local(r, "bob@TEST.Example")); // control lookups ignore case
    CHECK(qm::tools::is_local(r, "bob"));              // gets @envnoathost
    CHECK_FALSE(qm::tools::is_local(r, "bob@other.example"));
    CHECK_FALSE(qm::tools::is_local(r, "bob@sub.test.example")); // locals match exactly
}

TEST_CASE("virtualdomains: address, domain, suffix and exceptions", "[tools][route]") {
    auto r = sample();
    CHECK(qm::tools::is_local(r, "joe@virt.example"));
    CHECK(qm::tools::is_local(r, "ann@virt.example"));
    CHECK(qm::tools::is_local(r, "ann@a.wild.example"));
    CHECK(qm::tools::is_local(r, "ann@a.b.wild.example"));
    CHECK_FALSE(qm::tools::is_local(r, "ann@wild.example")); // ".suffix" is subdomains only
    CHECK_FALSE(qm::tools::is_local(r, "ann@except.wild.example"));
    r.virtualdomains.emplace_back("", "catchall");
    CHECK(qm::tools::is_local(r, "ann@anything.example"));
    CHECK_FALSE(qm::tools::is_local(r, "ann@except.wild.example")); // exception still wins
}

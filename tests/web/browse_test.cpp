// The archive's pages beyond the first slice, in process (site_fixture.hpp): the 414 for
// a long target, search by date and by relevance, months, authors, mbox downloads,
// messages without a Message-ID.
#include "site_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

using webtest::field;
using webtest::Fixture;
using webtest::has;

TEST_CASE("a request target longer than 4 KiB gets a small 414 page", "[web][server]") {
    Fixture f(true, 10);
    // The longest target the pages may link to: a Message-ID of 998 bytes, all encoded.
    const std::string id(998, '/');
    std::string encoded;
    for (size_t i = 0; i < id.size(); ++i)
        encoded += "%2F";
    auto longest = f.get("/team/" + encoded + "/t.mbox.gz");
    CHECK(longest.status == 404); // not an ID in the index, but not too long either
    auto r = f.get("/team/?q=" + std::string(qm::web::server::max_target_bytes, 'a'));
    CHECK(r.status == 414);
    CHECK(has(r, "<h1>414 URI Too Long</h1>"));
    CHECK(r.body.size() < 1000);
    CHECK(f.get("/" + std::string(5000, 'x')).status == 414);
}

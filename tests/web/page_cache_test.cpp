// The cache of rendered public pages: bounded by bytes with the least recently used going
// first, an entry good only at its list's version, 304s and oversized pages never kept;
// through Site: a kept page answers 304 to a client that has it, and a new post shows.
#include "qm/web/server/page_cache.hpp"
#include "site_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

using qm::web::server::PageCache;
using qm::web::server::Response;
using webtest::field;
using webtest::Fixture;
using webtest::has;

namespace {

Response page(size_t n, char c = 'x') {
    Response r;
    r.body = std::string(n, c);
    return r;
}

} // namespace

TEST_CASE("the page cache keeps pages by version within its bound", "[web][server]") {
    PageCache cache(4000, 1500);
    cache.keep("a", 1, page(900, 'a'));
    cache.keep("b", 1, page(900, 'b'));
    cache.keep("c", 1, page(900, 'c'));
    REQUIRE(cache.find("a", 1)); // a is now the most recently used
    cache.keep("d", 1, page(900, 'd'));
    CHECK(cache.bytes() <= 4000);
    CHECK_FALSE(cache.find("b", 1)); // the least recently used went
    REQUIRE(cache.find("a", 1));
    CHECK(cache.find("a", 1)->body == std::string(900, 'a'));
    CHECK(cache.find("d", 1));
    // Another version of the list: the page is stale, and dropped.
    CHECK_FALSE(cache.find("c", 2));
    CHECK_FALSE(cache.find("c", 1));
    // Too big for one entry, or not a whole page: not kept.
    cache.keep("big", 1, page(2000));
    CHECK_FALSE(cache.find("big", 1));
    Response not_modified = page(0);
    not_modified.status = 304;
    cache.keep("304", 1, not_modified);
    CHECK_FALSE(cache.find("304", 1));
}

TEST_CASE("a kept page answers 304 and a new post is shown at once", "[web][server]") {
    Fixture f;
    const auto first = f.get("/team/22@example.org/");
    REQUIRE(first.status == 200);
    REQUIRE_FALSE(field(first, "ETag").empty());
    const auto again = f.get("/team/22@example.org/");
    CHECK(again.body == first.body);
    CHECK(field(again, "ETag") == field(first, "ETag"));
    CHECK(f.get("/team/22@example.org/", field(first, "ETag")).status == 304);
    CHECK(f.get("/team/22@example.org/", "\"0000000000000000\"").status == 200);
    const auto front = f.get("/team/");
    CHECK(f.get("/team/").body == front.body);
    f.list.put(151, "From: Zed <z@example.org>\nSubject: brand new thread\n"
                    "Message-ID: <fresh@example.org>\n\nnews\n");
    f.list.num(151);
    REQUIRE(qm::web::update_web_index(f.list.dir));
    CHECK(has(f.get("/team/"), "brand new thread"));
}

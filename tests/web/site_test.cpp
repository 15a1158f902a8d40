// The archive's pages in process (Site::handle, no socket): a synthetic list of 150 posts
// (web_list.hpp: 30 threads, attachments in every eleventh post) indexed by the real
// indexer; pagination of the front page and of search, attachments, raw, 304, and a list
// whose archive is not public.
#include "site_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

using webtest::field;
using webtest::Fixture;
using webtest::has;

TEST_CASE("the front page and search are paginated", "[web][server]") {
    Fixture f;
    auto first = f.get("/team/");
    CHECK(first.status == 200);
    CHECK(has(first, "href=\"/team/?p=2\">older</a>"));
    CHECK_FALSE(has(first, ">newer</a>"));
    auto second = f.get("/team/?p=2");
    CHECK(has(second, "href=\"/team/?p=1\">newer</a>"));
    CHECK_FALSE(has(second, ">older</a>")); // 30 threads: 25 and 5
    // Every post says "common": 150 hits, six pages of 25.
    auto hits = f.get("/team/?q=common");
    CHECK(has(hits, "<mark>common</mark>"));
    CHECK(has(hits, "href=\"/team/?q=common&amp;p=2\">older</a>"));
    auto last = f.get("/team/?q=common&p=6");
    CHECK(has(last, ">newer</a>"));
    CHECK_FALSE(has(last, ">older</a>"));
    CHECK(has(f.get("/team/?q=common&p=7"), "No messages match."));
    CHECK(has(f.get("/team/?q=word17"), "/team/17@example.org/"));
    CHECK(has(f.get("/team/?q=subject%3A%22topic+16%22"), "/team/17@example.org/"));
    CHECK(has(f.get("/team/?q=%22%22%22"), "No messages match."));
}

TEST_CASE("attachments, raw messages and 304s", "[web][server]") {
    Fixture f;
    auto m = f.get("/team/22@example.org/");
    CHECK(m.status == 200);
    CHECK(has(m, "href=\"/team/22@example.org/2-data.bin\""));
    auto a = f.get("/team/22@example.org/2-data.bin");
    CHECK(a.status == 200);
    CHECK(a.content_type == "application/octet-stream");
    CHECK(a.body == std::string(600, 'z'));
    CHECK(field(a, "Content-Disposition") ==
          "attachment; filename=\"data.bin\"; filename*=UTF-8''data.bin");
    CHECK(f.get("/team/22@example.org/1-data.bin").status == 404);
    CHECK(f.get("/team/21@example.org/2-data.bin").status == 404);
    auto raw = f.get("/team/22@example.org/raw");
    CHECK(raw.content_type == "text/plain; charset=utf-8");
    CHECK(raw.body == webtest::post(22));
    const std::string etag = field(m, "ETag");
    CHECK(f.get("/team/22@example.org/", etag).status == 304);
    CHECK(f.get("/team/22@example.org/", "\"0000000000000000\"").status == 200);
    CHECK(f.get("/team/23@example.org/", etag).status == 200);
}

TEST_CASE("a list whose archive is not public is not served", "[web][server]") {
    Fixture f(false);
    for (const char* target : {"/team/", "/team/?q=common", "/team/new.atom",
                               "/team/1@example.org/", "/team/1@example.org/raw"}) {
        INFO(target);
        auto r = f.get(target);
        CHECK(r.status == 404);
        CHECK_FALSE(has(r, "example.org"));
    }
    CHECK_FALSE(has(f.get("/"), "team"));
}

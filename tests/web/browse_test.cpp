// The archive's pages beyond the first slice, in process (site_fixture.hpp): the 414 for
// a long target, search by date and by relevance, months, authors, mbox downloads,
// messages without a Message-ID.
#include "qm/web/server/query.hpp"
#include "qm/web/server/route.hpp"
#include "site_fixture.hpp"

#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

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

namespace {

// Four posts over three months, from two authors and a third, one without a Message-ID,
// one with lines that an mbox must quote.
struct Months {
    webtest::ListDir list;
    qm::web::server::Site site;
    Months()
        : site(config()) {}
    qm::web::server::Config config() {
        list.put(1, "From: Ann <ann@a.example>\nSubject: alpha alpha alpha\n"
                    "Date: Thu, 15 Jan 2026 10:00:00 +0000\nMessage-ID: <1@x>\n\n"
                    "alpha alpha\nFrom the start\n>From quoted\n");
        list.put(2, "From: Bob <bob@b.example>\nSubject: Re: the first\n"
                    "Date: Tue, 10 Feb 2026 10:00:00 +0000\nMessage-ID: <2@x>\n"
                    "In-Reply-To: <1@x>\nReferences: <1@x>\n\n"
                    "one alpha among many other words here and there\n");
        list.put(3, "From: Ann <ann@a.example>\nSubject: gamma\n"
                    "Date: Fri, 20 Feb 2026 10:00:00 +0000\n\n"
                    "gamma words and alpha once among lots of text filler filler\n");
        list.put(4, "From: carl@c.example\nSubject: delta\n"
                    "Date: Sun, 1 Mar 2026 10:00:00 +0000\nMessage-ID: <4@x>\n\n"
                    "alpha once among other words filler filler filler filler\n");
        list.num(4);
        qmtest::spit(list.dir + "/public", "");
        REQUIRE(qm::web::update_web_index(list.dir));
        qm::web::server::Config c;
        c.lists["team"] = list.dir;
        return c;
    }
    [[nodiscard]] qm::web::server::Response get(const std::string& target) const {
        return site.handle(qm::web::server::Request{"GET", target, ""});
    }
};

// The messages' hrefs on a page, in order.
std::vector<std::string> links(const std::string& body) {
    std::vector<std::string> out;
    for (const std::string id : {"/team/1@x/", "/team/2@x/", "/team/_/3/", "/team/4@x/"})
        if (body.find("href=\"" + id + "\"") != std::string::npos)
            out.push_back(id);
    std::sort(out.begin(), out.end(), [&](const std::string& a, const std::string& b) {
        return body.find("href=\"" + a + "\"") < body.find("href=\"" + b + "\"");
    });
    return out;
}

std::string gunzip(const std::string& in) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_FINISH);
    out.resize(z.total_out);
    inflateEnd(&z);
    REQUIRE(rc == Z_STREAM_END);
    return out;
}

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("search by date range and by relevance", "[web][server]") {
    Months m;
    using V = std::vector<std::string>;
    CHECK(links(m.get("/team/?q=alpha").body) ==
          V{"/team/4@x/", "/team/_/3/", "/team/2@x/", "/team/1@x/"});
    auto best = m.get("/team/?q=alpha&r");
    CHECK(links(best.body).front() == "/team/1@x/"); // alpha five times, three in the subject
    CHECK(has(best, "best first · <a href=\"/team/?q=alpha\">newest first</a>"));
    CHECK(has(m.get("/team/?q=alpha"), "<a href=\"/team/?q=alpha&amp;r\">best first</a>"));
    CHECK(links(m.get("/team/?q=alpha+d%3A2026-02-01..2026-02-28").body) ==
          V{"/team/_/3/", "/team/2@x/"});
    CHECK(links(m.get("/team/?q=alpha+d%3A202602..").body) ==
          V{"/team/4@x/", "/team/_/3/", "/team/2@x/"});
    CHECK(links(m.get("/team/?q=alpha+d%3A..20260131").body) == V{"/team/1@x/"});
    CHECK(links(m.get("/team/?q=d%3A2026-02").body) == V{"/team/_/3/", "/team/2@x/"});
    CHECK(links(m.get("/team/?q=d%3A2026-02+d%3A2026-02-15..").body) == V{"/team/_/3/"});
    CHECK(links(m.get("/team/?q=d%3A2026-03..2026-02").body).empty());
    // Not a range: searched as words, which no message has.
    CHECK(has(m.get("/team/?q=d%3A2026-13"), "No messages match."));
}

TEST_CASE("a list by month and by author", "[web][server]") {
    Months m;
    auto front = m.get("/team/");
    CHECK(has(front, "href=\"/team/_/months/\">by month</a>"));
    CHECK(has(front, "href=\"/team/_/authors/\">authors</a>"));
    auto months = m.get("/team/_/months/");
    CHECK(months.status == 200);
    CHECK(has(months, "<a href=\"/team/2026/02/\">February</a> <span class=\"meta\">2 messages"));
    CHECK(has(months, "<a href=\"/team/2026/01/\">January</a> <span class=\"meta\">1 message<"));
    CHECK(months.body.find("/2026/03/") < months.body.find("/2026/01/")); // newest first
    auto feb = m.get("/team/2026/02/");
    CHECK(feb.status == 200);
    CHECK(has(feb, "<h1>team: February 2026</h1>"));
    CHECK(has(feb, "href=\"/team/1@x/t/\">alpha alpha alpha</a><div class=\"meta\">1 message "
                   "this month (2 in all)"));
    CHECK(has(feb, "href=\"/team/_/3/t/\">gamma</a>"));
    CHECK_FALSE(has(feb, "delta"));
    CHECK(has(feb, "href=\"/team/2026/02/mbox.gz\""));
    CHECK(m.get("/team/2026/02").status == 301);
    // Only a list that is served is redirected to: a browser's /favicon.ico is a 404.
    CHECK(m.get("/team").status == 301);
    CHECK(m.get("/favicon.ico").status == 404);
    CHECK(m.get("/nolist/2026/02").status == 404);
    CHECK(m.get("/team/2026/13/").status == 404);
    CHECK(has(m.get("/team/2025/12/"), "No messages."));

    auto authors = m.get("/team/_/authors/");
    CHECK(authors.status == 200);
    CHECK(has(authors, "<a href=\"/team/_/authors/1/\">Ann &lt;ann@a…&gt;</a> "
                       "<span class=\"meta\">2 messages"));
    CHECK(has(authors, "<a href=\"/team/_/authors/4/\">&lt;carl@c…&gt;</a>"));
    CHECK(authors.body.find("/_/authors/1/") < authors.body.find("/_/authors/2/"));
    CHECK_FALSE(has(authors, "a.example"));
    auto ann = m.get("/team/_/authors/1/");
    CHECK(ann.status == 200);
    CHECK(links(ann.body) == std::vector<std::string>{"/team/_/3/", "/team/1@x/"});
    CHECK_FALSE(has(ann, "a.example"));
    CHECK(m.get("/team/_/authors/3/").status == 404); // Ann's, but not her first
    CHECK(m.get("/team/_/authors/9/").status == 404);
}

TEST_CASE("a message without a Message-ID has a URL by its number", "[web][server]") {
    Months m;
    auto page = m.get("/team/_/3/");
    CHECK(page.status == 200);
    CHECK(has(page, "gamma words"));
    CHECK(has(page, "href=\"/team/_/3/t/\">thread</a>"));
    CHECK(m.get("/team/_/3/raw").body.starts_with("From: Ann <ann@a.example>\nSubject: gamma"));
    CHECK(has(m.get("/team/_/3/t/"), "gamma words"));
    CHECK(has(m.get("/team/"), "href=\"/team/_/3/t/\""));
    CHECK(has(m.get("/team/new.atom"), "<id>urn:list:team:3</id>"));
    // Only messages without an ID are reached by number; a message whose ID is "_"
    // keeps /team/_/.
    CHECK(m.get("/team/_/1/").status == 404);
    CHECK(m.get("/team/_/0/").status == 404);
    CHECK(m.get("/team/_/03/").status == 404);
    CHECK(m.get("/team/_/").status == 404); // no message "_" here
}

TEST_CASE("threads months and searches as mboxrd gzipped", "[web][server]") {
    Months m;
    auto t = m.get("/team/2@x/t.mbox.gz");
    CHECK(t.status == 200);
    CHECK(t.content_type == "application/gzip");
    CHECK(field(t, "Content-Disposition").starts_with("attachment; filename=\"team-thread-"));
    const std::string thread = gunzip(t.body);
    CHECK(count(thread, "\nFrom mboxrd@z ") + thread.starts_with("From mboxrd@z ") == 2);
    CHECK(thread.starts_with("From mboxrd@z Thu Jan 15 10:00:00 2026\nFrom: Ann"));
    CHECK(has({.body = thread}, "\n>From the start\n>>From quoted\n"));
    CHECK(has({.body = thread}, "\n\nFrom mboxrd@z Tue Feb 10 10:00:00 2026\nFrom: Bob"));
    CHECK(thread.ends_with("here and there\n\n"));
    CHECK(gunzip(m.get("/team/_/3/t.mbox.gz").body).find("gamma words") != std::string::npos);

    const std::string feb = gunzip(m.get("/team/2026/02/mbox.gz").body);
    CHECK(count(feb, "From mboxrd@z ") == 2);
    CHECK(feb.find("Subject: Re: the first") < feb.find("Subject: gamma"));
    CHECK(field(m.get("/team/2026/02/mbox.gz"), "Content-Disposition")
              .starts_with("attachment; filename=\"team-2026-02.mbox.gz\""));

    auto hits = m.get("/team/?q=alpha+d%3A2026-02..");
    CHECK(has(hits, "href=\"/team/?q=alpha+d%3A2026-02..&amp;x=m\">mbox.gz</a>"));
    const std::string found = gunzip(m.get("/team/?q=alpha+d%3A2026-02..&x=m").body);
    CHECK(count(found, "From mboxrd@z ") == 3);
    CHECK(found.find("Subject: delta") < found.find("Subject: gamma")); // newest first
    CHECK(gunzip(m.get("/team/?q=nothing-like-it&x=m").body).empty());
}

TEST_CASE("the new pages' URLs never take a message's", "[web][server]") {
    using qm::web::server::Page;
    using qm::web::server::route;
    CHECK(route("/team/2026/").page == Page::message);
    CHECK(route("/team/2026/").message_id == "2026");
    CHECK(route("/team/2026/03/").page == Page::month);
    CHECK(route("/team/2026/03/").month == 3);
    CHECK(route("/team/2026/03/mbox.gz").page == Page::month_mbox);
    CHECK(route("/team/abcd/1-").page == Page::attachment);
    CHECK(route("/team/2026/1-").page == Page::attachment);
    CHECK(route("/team/2026/t.mbox.gz").page == Page::thread_mbox);
    CHECK(route("/team/2026/t.mbox.gz").message_id == "2026");
    CHECK(route("/team/_/").page == Page::message);
    CHECK(route("/team/_/").message_id == "_");
    CHECK(route("/team/_/raw").page == Page::raw);
    CHECK(route("/team/_/t/").message_id == "_");
    CHECK(route("/team/_/months/").page == Page::months);
    CHECK(route("/team/_/authors/?p=2").page_no == 2);
    CHECK(route("/team/_/authors/7/").author == 7);
    const auto n = route("/team/_/12/t.mbox.gz");
    CHECK(n.page == Page::thread_mbox);
    CHECK(n.msgnum == 12);
    CHECK(n.message_id.empty());
    CHECK(route("/team/_/12/3-a.txt").part == 3);
    CHECK(route("/team/?q=x&r&x=m").relevance);
    CHECK(route("/team/?q=x&r&x=m").mbox);
    CHECK_FALSE(route("/team/?q=x&rr").relevance);
}

TEST_CASE("d: ranges become date bounds and never FTS5 text", "[web][server]") {
    using qm::web::server::parse_query;
    constexpr std::int64_t feb28 = 1772236800; // 2026-02-28T00:00:00Z
    auto day = parse_query("d:2026-02-28");
    CHECK(day.fts5.empty());
    CHECK(day.since == feb28);
    CHECK(day.until == feb28 + 86400);
    CHECK(parse_query("d:20260228..").since == feb28);
    CHECK_FALSE(parse_query("d:20260228..").until);
    CHECK(parse_query("d:..202602").until == feb28 + 86400); // the whole month
    CHECK(parse_query("x d:2026").until == 1798761600);      // 2027-01-01
    CHECK(parse_query("x d:2026").fts5 == "\"x\"");
    // Not dates: words, quoted as every word is.
    CHECK(parse_query("d:20260230").fts5 == "\"d:20260230\"");
    CHECK(parse_query("d:..").fts5 == "\"d:..\"");
    CHECK(parse_query("d:1899").fts5 == "\"d:1899\"");
    CHECK(parse_query("d:2026-1-1").fts5 == "\"d:2026-1-1\"");
    CHECK_FALSE(parse_query("d:20260230").since);
}

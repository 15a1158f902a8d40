// The web server's pure parts: escaping, address obfuscation, the search language's
// translation to FTS5 (checked against a real FTS5 table: no input may make a syntax
// error), URL routing and the configuration.
#include "qm/web/server/config.hpp"
#include "qm/web/server/html.hpp"
#include "qm/web/server/query.hpp"
#include "qm/web/server/route.hpp"

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <string>
#include <vector>

using namespace qm::web::server;

namespace {

// An in-memory FTS5 table like the index's search table; run() is SQLite's verdict on a
// MATCH expression: SQLITE_DONE or an error code.
class Fts5 {
public:
    Fts5() {
        REQUIRE(sqlite3_open(":memory:", &db_) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db_,
                             "CREATE VIRTUAL TABLE search USING fts5(subject, author, body, "
                             "tokenize = 'unicode61 remove_diacritics 2');"
                             "INSERT INTO search VALUES('Cafe plans', 'Joe joe@far.example', "
                             "'shall we meet at eight');",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    ~Fts5() { sqlite3_close(db_); }
    Fts5(const Fts5&) = delete;
    Fts5& operator=(const Fts5&) = delete;
    // The number of rows matched, or -1 on an error.
    int count(const std::string& expr) {
        sqlite3_stmt* s = nullptr;
        REQUIRE(sqlite3_prepare_v2(db_, "SELECT count(*) FROM search WHERE search MATCH ?1", -1, &s,
                                   nullptr) == SQLITE_OK);
        sqlite3_bind_text(s, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_TRANSIENT);
        int n = -1;
        if (sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int(s, 0);
        INFO(sqlite3_errmsg(db_));
        sqlite3_finalize(s);
        return n;
    }

private:
    sqlite3* db_ = nullptr;
};

} // namespace

TEST_CASE("escape_html escapes the five characters that matter", "[web][server]") {
    CHECK(escape_html("<script>alert(\"x\")</script> & 'y'") ==
          "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
    CHECK(escape_html("plain K\xc3\xb6ln") == "plain K\xc3\xb6ln");
}

TEST_CASE("addresses are shown without their domain", "[web][server]") {
    CHECK(obfuscate_address("joe@far.example") == "joe@f…");
    CHECK(obfuscate_address("no-at-sign") == "no-at-sign");
    CHECK(obfuscate_address("joe@\xc3\xa9t\xc3\xa9.example") == "joe@\xc3\xa9…");
    CHECK(obfuscate_addresses("On Monday, joe@far.example wrote:") == "On Monday, joe@f… wrote:");
    CHECK(obfuscate_addresses("write to a.b+c@lists.far.example.") == "write to a.b+c@l….");
    CHECK(obfuscate_addresses("two: x@a.example y@b.example") == "two: x@a… y@b…");
    // Not addresses: no local part, no dot in the domain.
    CHECK(obfuscate_addresses("meet @ noon, user@localhost") == "meet @ noon, user@localhost");
}

TEST_CASE("render_text folds quoted lines and escapes everything", "[web][server]") {
    const std::string html =
        render_text("hello <b>\n> quoted <script>\n> more\nreply by joe@far.example\n\n");
    CHECK(html == "<pre>hello &lt;b&gt;\n</pre>\n"
                  "<details><summary>quoted text (2 lines)</summary><pre class=\"q\">"
                  "&gt; quoted &lt;script&gt;\n&gt; more\n</pre></details>\n"
                  "<pre>reply by joe@f…\n</pre>\n");
    CHECK(render_text("") == "");
}

TEST_CASE("the search language becomes quoted FTS5 terms", "[web][server]") {
    CHECK(fts5_query("") == "");
    CHECK(fts5_query("   \t ") == "");
    CHECK(fts5_query("cafe plans") == "\"cafe\" AND \"plans\"");
    CHECK(fts5_query("\"meet at\" eight") == "\"meet at\" AND \"eight\"");
    CHECK(fts5_query("from:joe subject:\"cafe plans\"") ==
          "author : \"joe\" AND subject : \"cafe plans\"");
    CHECK(fts5_query("a\"b") == "\"a\"\"b\"");
    CHECK(fts5_query("NEAR(a b) OR c*") == "\"NEAR(a\" AND \"b)\" AND \"OR\" AND \"c*\"");
    CHECK(fts5_query("\"unterminated phrase") == "\"unterminated phrase\"");
    CHECK(fts5_query("from: joe") == "\"from:\" AND \"joe\"");
    std::string many;
    for (int i = 0; i < 40; ++i)
        many += "w" + std::to_string(i) + " ";
    CHECK(fts5_query(many).find("w16") == std::string::npos);
}

TEST_CASE("no search input makes an FTS5 syntax error", "[web][server]") {
    Fts5 fts;
    CHECK(fts.count(fts5_query("cafe")) == 1);
    CHECK(fts.count(fts5_query("from:joe meet")) == 1);
    CHECK(fts.count(fts5_query("subject:eight")) == 0);
    CHECK(fts.count(fts5_query("\"meet at eight\"")) == 1);
    CHECK(fts.count(fts5_query("caf\xc3\xa9")) == 1); // diacritics removed
    for (const std::string& hostile : std::vector<std::string>{"\"",
                                                               "\"\"",
                                                               "\"\"\"",
                                                               "*",
                                                               "^",
                                                               "-",
                                                               "+",
                                                               "(",
                                                               ")",
                                                               ":",
                                                               "NOT",
                                                               "AND",
                                                               "OR x",
                                                               "NEAR(",
                                                               "a NEAR/2 b",
                                                               "{subject}: x",
                                                               "subject:",
                                                               "from:\"",
                                                               "from:\"\"",
                                                               "a:b:c",
                                                               "x OR",
                                                               "\\",
                                                               "'",
                                                               ";",
                                                               "\x01\x02",
                                                               std::string("a\0b", 3),
                                                               "\xff\xfe",
                                                               "\xc3",
                                                               "  \"  \"  ",
                                                               "col:x",
                                                               "rank:1",
                                                               "-subject:x",
                                                               "^start",
                                                               "a*b*c",
                                                               "!!!",
                                                               "'; DROP TABLE search; --",
                                                               "\"a\" \"b\"\"c"}) {
        INFO(hostile);
        const std::string expr = fts5_query(hostile);
        INFO(expr);
        if (!expr.empty())
            CHECK(fts.count(expr) >= 0);
    }
}

TEST_CASE("URLs route in public-inbox's scheme", "[web][server]") {
    CHECK(route("/").page == Page::lists);
    CHECK(route("/style.css").page == Page::style);
    auto r = route("/team/");
    CHECK(r.page == Page::list);
    CHECK(r.list == "team");
    CHECK(r.page_no == 1);
    r = route("/team/?q=caf%C3%A9+plans&p=3");
    CHECK(r.page == Page::list);
    CHECK(r.query == "caf\xc3\xa9 plans");
    CHECK(r.page_no == 3);
    CHECK(route("/team/?p=0").page_no == 1);
    CHECK(route("/team/?p=x").page_no == 1);
    r = route("/team");
    CHECK(r.page == Page::redirect);
    CHECK(r.location == "/team/");
    CHECK(route("/team/new.atom").page == Page::atom);
    r = route("/team/abc%40x.example/");
    CHECK(r.page == Page::message);
    CHECK(r.message_id == "abc@x.example");
    r = route("/team/a%2Fb@x/raw");
    CHECK(r.page == Page::raw);
    CHECK(r.message_id == "a/b@x");
    CHECK(route("/team/id@x/t/").page == Page::thread);
    CHECK(route("/team/id@x/T/").page == Page::thread);
    CHECK(route("/team/id@x/t").page == Page::redirect);
    r = route("/team/id@x/2-report%20final.pdf");
    CHECK(r.page == Page::attachment);
    CHECK(r.part == 2);
    CHECK(r.message_id == "id@x");
    CHECK(route("/team/id@x").location == "/team/id@x/");
}

TEST_CASE("URLs that name no page are not found", "[web][server]") {
    for (const char* target :
         {"", "team/", "/../etc/passwd", "/..", "/.git/", "//evil.example/", "/team//x/",
          "/team/%00/", "/team/%zz/", "/team/%/", "/a%2Fb/", "/team/id/0-x", "/team/id/-x",
          "/team/id/raw/", "/team/id/x/y/", "/team/id/123456-x", "/team/new.atom/x"}) {
        INFO(target);
        CHECK(route(target).page == Page::not_found);
    }
}

TEST_CASE("segments are encoded so that they route back", "[web][server]") {
    const std::string id = "a/b?c#d%e f@x.example";
    const auto r = route("/team/" + encode_segment(id) + "/");
    CHECK(r.page == Page::message);
    CHECK(r.message_id == id);
    CHECK(encode_query_value("a b&c") == "a+b%26c");
}

TEST_CASE("lists come from NAME=DIR and from a file of NAME DIR lines", "[web][server]") {
    Config c;
    CHECK(parse_list_spec("team=/home/joe/team", c));
    CHECK(parse_lists_file("# lists\n\n  dev /home/joe/dev\r\nops\t/srv/ops  \n", c));
    CHECK(c.lists.size() == 3);
    CHECK(c.lists["dev"] == "/home/joe/dev");
    CHECK(c.lists["ops"] == "/srv/ops");
    CHECK_FALSE(parse_list_spec("team=/elsewhere", c)); // twice
    CHECK_FALSE(parse_list_spec("rel=home/joe", c));
    CHECK_FALSE(parse_list_spec("no-equals", c));
    CHECK_FALSE(parse_lists_file("onlyname\n", c));
    for (const char* bad : {"", ".git", "..", "a/b", "a%2F", "a b", "caf\xc3\xa9"})
        CHECK_FALSE(valid_list_name(bad));
    CHECK(valid_list_name("dev-list_2.0"));
    CHECK(parse_listen("0.0.0.0:80", c));
    CHECK(c.address == "0.0.0.0");
    CHECK(c.port == 80);
    CHECK(parse_listen("[::1]:8080", c));
    CHECK(c.address == "::1");
    for (const char* bad : {"", "8080", ":8080", "host:", "h:0", "h:65536", "h:8o", "[::1]8080"})
        CHECK_FALSE(parse_listen(bad, c));
}

// Private archives in process (Site::handle, no socket): what a stranger sees through
// every kind of page, the login mail (caught through $QMAILQUEUE) and its one-time,
// expiring, per-list link, the session cookie, the same answer for readers and others,
// moderators, readers who leave, the Origin check and the rate limit.
#include "private_list.hpp"
#include "qm/web/server/login.hpp"

#include <catch2/catch.hpp>

#include <string>

using qm::web::server::Response;
using webtest::contains;
using webtest::cookie_pair;
using webtest::field_of;
using webtest::Lists;
using webtest::PrivateSite;

namespace {

// Every kind of page of a list, with a message, a thread, an attachment (post 11 has
// one), an unknown message, search and the feed.
const std::vector<std::string> list_pages = {
    "/team/",
    "/team/?q=common",
    "/team/?p=2",
    "/team/new.atom",
    "/team/3@example.org/",
    "/team/3@example.org/raw",
    "/team/3@example.org/t/",
    "/team/3@example.org/T/",
    "/team/11@example.org/2-data.bin",
    "/team/nosuch@example.org/",
    "/team/nosuch@example.org/raw",
    "/team/3@example.org/9-none",
};

// A private list "team" (ezmlm-make -P: no public flag) with alice subscribed.
PrivateSite private_team(std::string origin = "") {
    return PrivateSite(Lists{{"team", {{'p', false}}}}, 30, std::move(origin));
}

// alice's session on the site (logs in through the mailed link).
std::string log_in(PrivateSite& s, const std::string& address, const std::string& list = "team") {
    const size_t before = s.links_for(address).size();
    auto asked = s.post("/" + list + "/_/login", "address=" + address);
    REQUIRE(asked.status == 200);
    auto links = s.links_for(address);
    REQUIRE(links.size() == before + 1);
    auto in = s.post(links.back(), "");
    REQUIRE(in.status == 303);
    return cookie_pair(in);
}

} // namespace

TEST_CASE("a stranger sees only a login page on every page of a private archive",
          "[web][private]") {
    PrivateSite s = private_team();
    s.subscribe("team", "alice@example.org");
    const std::string login = s.get("/team/").body;
    CHECK(login.find("action=\"/team/_/login\"") != std::string::npos);
    for (const std::string& cookie : std::vector<std::string>{"", "session=" + std::string(64, 'a'),
                                                              "session=x", "other=1; session="}) {
        for (const auto& target : list_pages) {
            for (const char* method : {"GET", "HEAD"}) {
                INFO(target << " " << method << " cookie " << cookie);
                auto r = s.get(target, cookie, method);
                CHECK(r.status == 403);
                // The same page whatever is asked: nothing says whether a message exists.
                CHECK(r.body == login);
                CHECK(r.content_type == "text/html; charset=utf-8");
                CHECK(field_of(r, "Cache-Control") == "private, no-store");
                CHECK(field_of(r, "ETag").empty());
                for (const char* secret : {"example.org", "topic", "common", "word", "Poster",
                                           "lists.example", "data.bin"})
                    CHECK(r.body.find(secret) == std::string::npos);
            }
        }
    }
    // Not on the lists page; an unknown list is a 404, a private one a login page: that
    // the name exists is all a stranger learns.
    CHECK_FALSE(contains(s.get("/"), "team"));
    CHECK(s.get("/nosuch/").status == 404);
    CHECK(s.get("/team/_/login").status == 200);
    CHECK(s.get("/team/_/nosuch").status == 404);
    CHECK(s.mails().empty());
}

TEST_CASE("the login mail's link logs in once and the session reads the archive",
          "[web][private]") {
    PrivateSite s = private_team();
    s.subscribe("team", "alice@example.org");
    auto asked = s.post("/team/_/login", "address=alice%40example.org");
    CHECK(asked.status == 200);
    CHECK(contains(asked, "Check your mail"));
    CHECK(field_of(asked, "Cache-Control") == "private, no-store");
    CHECK(field_of(asked, "Set-Cookie").empty());
    auto mails = s.mails();
    REQUIRE(mails.size() == 1);
    CHECK(mails[0].find("\nTo: alice@example.org\n") != std::string::npos);
    CHECK(mails[0].find("Subject: Log in to the web archive of team@lists.example") !=
          std::string::npos);
    auto links = s.links_for("alice@example.org");
    REQUIRE(links.size() == 1);
    const std::string link = links[0];
    CHECK(link.starts_with("/team/_/login/"));
    CHECK(link.size() == std::string("/team/_/login/").size() + 64); // 256 bits, hex
    // The store keeps only a hash of the secret.
    CHECK(qmtest::slurp(s.tmp / "state/logins.sqlite").find(link.substr(14)) == std::string::npos);
    // The state directory is the server's alone.
    struct stat st {};
    REQUIRE(::stat((s.tmp / "state").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);

    // A GET (a mail scanner's prefetch) shows a button and spends nothing.
    for (int i = 0; i < 2; ++i) {
        auto shown = s.get(link);
        CHECK(shown.status == 200);
        CHECK(contains(shown, "<form method=\"post\" action=\"" + link + "\">"));
        CHECK(field_of(shown, "Set-Cookie").empty());
        CHECK(field_of(shown, "Referrer-Policy") == "same-origin");
    }
    auto in = s.post(link, "");
    CHECK(in.status == 303);
    CHECK(field_of(in, "Location") == "/team/");
    const std::string set_cookie = field_of(in, "Set-Cookie");
    CHECK(set_cookie.starts_with("session="));
    CHECK(set_cookie.find("; HttpOnly") != std::string::npos);
    CHECK(set_cookie.find("; SameSite=Lax") != std::string::npos);
    CHECK(set_cookie.find("; Path=/") != std::string::npos);
    CHECK(set_cookie.find("; Secure") == std::string::npos); // http:// origin
    const std::string cookie = cookie_pair(in);

    for (const auto& target : list_pages) {
        INFO(target);
        auto r = s.get(target, cookie);
        CHECK(r.status != 403);
        CHECK(field_of(r, "Cache-Control") == "private, no-store");
    }
    auto front = s.get("/team/", "x=1; " + cookie);
    CHECK(front.status == 200);
    CHECK(contains(front, "topic 1"));
    CHECK(contains(front, "href=\"/team/_/logout\""));
    CHECK(s.get("/team/3@example.org/raw", cookie).body.find("Message-ID: <3@example.org>") !=
          std::string::npos);
    CHECK(s.get("/team/11@example.org/2-data.bin", cookie).body == std::string(600, 'z'));
    CHECK(s.get("/team/nosuch@example.org/", cookie).status == 404);

    // Once only.
    auto again = s.post(link, "");
    CHECK(again.status == 403);
    CHECK(field_of(again, "Set-Cookie").empty());
    CHECK(s.get(link).status == 403);

    // Logging out ends the session here and for every later request.
    auto out = s.post("/team/_/logout", "", cookie);
    CHECK(out.status == 200);
    CHECK(field_of(out, "Set-Cookie").starts_with("session=; Path=/; Max-Age=0"));
    CHECK(s.get("/team/", cookie).status == 403);
}

TEST_CASE("a login link expires and works for its own list only", "[web][private]") {
    PrivateSite s(Lists{{"team", {{'p', false}}}, {"other", {{'p', false}}}});
    s.subscribe("team", "alice@example.org");
    s.subscribe("other", "alice@example.org");
    REQUIRE(s.post("/team/_/login", "address=alice@example.org").status == 200);
    auto links = s.links_for("alice@example.org");
    REQUIRE(links.size() == 1);
    const std::string token = links[0].substr(std::string("/team/_/login/").size());
    // At another list: refused, and not spent.
    CHECK(s.get("/other/_/login/" + token).status == 403);
    CHECK(s.post("/other/_/login/" + token, "").status == 403);
    // Changed by one digit: refused.
    std::string forged = token;
    forged[10] = forged[10] == '0' ? '1' : '0';
    CHECK(s.post("/team/_/login/" + forged, "").status == 403);
    CHECK(s.post("/team/_/login/" + token.substr(0, 63), "").status == 403);
    CHECK(s.post("/team/_/login/" + token + "0", "").status == 403);

    s.clock += qm::web::server::login_link_lifetime - 1;
    CHECK(s.get(links[0]).status == 200);
    s.clock += 1;
    CHECK(s.get(links[0]).status == 403);
    auto late = s.post(links[0], "");
    CHECK(late.status == 403);
    CHECK(contains(late, "older than 30 minutes"));
    CHECK(field_of(late, "Set-Cookie").empty());

    // A fresh link, used in time, works; its session ends after session_lifetime.
    const std::string cookie = log_in(s, "alice@example.org");
    CHECK(s.get("/team/", cookie).status == 200);
    CHECK(s.get("/other/", cookie).status == 200); // the session proves the address
    s.clock += qm::web::server::session_lifetime;
    CHECK(s.get("/team/", cookie).status == 403);
}

TEST_CASE("someone who may not read gets the same answer and no mail", "[web][private]") {
    PrivateSite s = private_team();
    s.subscribe("team", "alice@example.org");
    s.subscribe("team", "bob@example.org", "allow"); // may post, does not read
    auto reader = s.post("/team/_/login", "address=alice@example.org");
    REQUIRE(s.mails().size() == 1);
    for (const std::string& who :
         std::vector<std::string>{"mallory@example.org", "bob@example.org"}) {
        INFO(who);
        auto other = s.post("/team/_/login", "address=" + who);
        CHECK(other.status == reader.status);
        std::string same = other.body;
        same.replace(same.find(who), who.size(), "alice@example.org");
        CHECK(same == reader.body);
        CHECK(other.fields == reader.fields);
    }
    CHECK(s.mails().size() == 1);
    // Not an address at all: said so, nothing mailed.
    for (const char* bad : {"address=", "address=nobody", "other=alice@example.org", ""}) {
        INFO(bad);
        auto r = s.post("/team/_/login", bad);
        CHECK(r.status == 400);
        CHECK_FALSE(r.deferred);
    }
    CHECK(s.mails().size() == 1);
}

TEST_CASE("moderators read the lists they moderate and no other", "[web][private]") {
    PrivateSite s(Lists{{"team", {{'p', false}}}, {"other", {{'p', false}}}});
    s.subscribe("team", "mod@example.org", "mod");
    s.subscribe("team", "alice@example.org", "digest"); // digest readers read too
    const std::string cookie = log_in(s, "mod@example.org");
    CHECK(s.get("/team/", cookie).status == 200);
    auto other = s.get("/other/", cookie);
    CHECK(other.status == 403);
    CHECK(contains(other, "mod@example.org may not read this archive"));
    CHECK_FALSE(contains(other, "topic"));
    // Asking at the other list mails nothing.
    REQUIRE(s.post("/other/_/login", "address=mod@example.org").status == 200);
    CHECK(s.links_for("mod@example.org").size() == 1);
    CHECK(s.get("/team/", log_in(s, "alice@example.org")).status == 200);
}

TEST_CASE("ezmlm-make -b keeps the archive to moderators", "[web][private]") {
    // Public, but retrieval for moderators only: private on the web too.
    PrivateSite s(Lists{{"team", {{'b', true}, {'r', true}}}});
    s.subscribe("team", "alice@example.org");
    s.subscribe("team", "mod@example.org", "mod");
    CHECK(s.get("/team/").status == 403);
    REQUIRE(s.post("/team/_/login", "address=alice@example.org").status == 200);
    CHECK(s.links_for("alice@example.org").empty());
    CHECK(s.get("/team/", log_in(s, "mod@example.org")).status == 200);
}

TEST_CASE("a reader who leaves the list loses access at once", "[web][private]") {
    PrivateSite s = private_team();
    s.subscribe("team", "alice@example.org");
    const std::string cookie = log_in(s, "alice@example.org");
    CHECK(s.get("/team/3@example.org/", cookie).status == 200);
    REQUIRE(qm::lists::unsubscribe(s.dir("team"), "alice@example.org"));
    auto r = s.get("/team/3@example.org/", cookie);
    CHECK(r.status == 403);
    CHECK_FALSE(contains(r, "topic"));
    CHECK(s.get("/team/new.atom", cookie).status == 403);
}

TEST_CASE("forms from elsewhere are refused", "[web][private]") {
    PrivateSite s = private_team();
    s.subscribe("team", "alice@example.org");
    for (const std::string& origin :
         std::vector<std::string>{"", "null", "http://evil.example", "http://lists.example:81",
                                  "https://lists.example", "http://lists.example/"}) {
        INFO(origin);
        auto r = s.post("/team/_/login", "address=alice@example.org", "", origin);
        CHECK(r.status == 403);
        CHECK_FALSE(r.deferred);
    }
    CHECK(s.mails().empty());
    REQUIRE(s.post("/team/_/login", "address=alice@example.org").status == 200);
    const std::string link = s.links_for("alice@example.org").at(0);
    auto cross = s.post(link, "", "", "http://evil.example");
    CHECK(cross.status == 403);
    CHECK(field_of(cross, "Set-Cookie").empty());
    // Not spent by the refused form.
    const std::string cookie = cookie_pair(s.post(link, ""));
    CHECK(s.post("/team/_/logout", "", cookie, "http://evil.example").status == 403);
    CHECK(s.get("/team/", cookie).status == 200);
}

TEST_CASE("login mails to one address are limited", "[web][private]") {
    PrivateSite s = private_team();
    s.subscribe("team", "alice@example.org");
    for (int i = 0; i < 5; ++i)
        CHECK(s.post("/team/_/login", "address=Alice@Example.org").status == 200);
    CHECK(s.mails().size() == qm::web::server::login_mails_per_window);
    s.clock += qm::web::server::login_mail_window;
    CHECK(s.post("/team/_/login", "address=alice@example.org").status == 200);
    CHECK(s.mails().size() == qm::web::server::login_mails_per_window + 1);
}

TEST_CASE("under https the session cookie is Secure and __Host-", "[web][private]") {
    PrivateSite s = private_team("https://lists.example");
    s.subscribe("team", "alice@example.org");
    REQUIRE(s.post("/team/_/login", "address=alice@example.org").status == 200);
    const std::string link = s.links_for("alice@example.org").at(0);
    auto in = s.post(link, "");
    REQUIRE(in.status == 303);
    const std::string c = field_of(in, "Set-Cookie");
    CHECK(c.starts_with("__Host-session="));
    CHECK(c.find("; Secure") != std::string::npos);
    CHECK(c.find("; HttpOnly") != std::string::npos);
    CHECK(s.get("/team/", cookie_pair(in)).status == 200);
    // The plain name is not the session under https.
    CHECK(s.get("/team/", "session=" + cookie_pair(in).substr(15)).status == 403);
}

TEST_CASE("public lists have no login pages and private ones need --state", "[web][private]") {
    PrivateSite s(Lists{{"team", {}}, {"hidden", {{'p', false}}}});
    CHECK(s.get("/team/").status == 200);
    CHECK(field_of(s.get("/team/"), "Cache-Control").empty());
    for (const char* target : {"/team/_/login", "/team/_/logout", "/team/_/login/x"})
        CHECK(s.get(target).status == 404);
    CHECK(s.post("/team/_/login", "address=a@b.example").status == 404);
    qm::web::server::Site without(s.config);
    for (const char* target : {"/hidden/", "/hidden/_/login", "/hidden/3@example.org/raw"})
        CHECK(without.handle({"GET", target, ""}).status == 404);
}

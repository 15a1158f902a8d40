// RFC 8058 one-click unsubscription through Site::handle: GET shows a button and changes
// nothing, POST of List-Unsubscribe=One-Click (urlencoded or multipart) unsubscribes,
// forged, expired and malformed tokens are refused, public and private lists alike, and
// a list whose files the server cannot use answers 503.
#include "private_list.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/lists/manage/one_click.hpp"
#include "qm/web/server/forms.hpp"

#include <catch2/catch.hpp>

#include <string>

using webtest::contains;
using webtest::field_of;
using webtest::Lists;
using webtest::PrivateSite;

namespace {

std::string token_for(const std::string& dir, const std::string& address, std::time_t when) {
    auto key = qm::lists::read_list_key(dir);
    REQUIRE(key);
    return qm::lists::one_click_token(*key, qm::lists::CookieScope::main, when, address);
}

bool subscribed(const PrivateSite& s, const std::string& list, const std::string& address) {
    auto r = qm::lists::is_subscriber(s.dir(list), address);
    REQUIRE(r);
    return *r;
}

constexpr const char* one_click = "List-Unsubscribe=One-Click";

} // namespace

TEST_CASE("one-click: GET shows a button, POST unsubscribes", "[web][one_click]") {
    PrivateSite s(Lists{{"team", {}}, {"hidden", {{'p', false}}}});
    for (const std::string& list : std::vector<std::string>{"team", "hidden"}) {
        INFO(list);
        s.subscribe(list, "alice+x@example.org");
        s.subscribe(list, "bob@example.org");
        const std::string url = "/" + list + "/unsubscribe/" +
                                token_for(s.dir(list), "alice+x@example.org", qm::lists::now());
        for (const char* method : {"GET", "HEAD"}) {
            auto shown = s.get(url, "", method);
            CHECK(shown.status == 200);
            CHECK(contains(shown, "<form method=\"post\" action=\"" + url + "\">"));
            CHECK(contains(shown, "name=\"List-Unsubscribe\" value=\"One-Click\""));
            CHECK(contains(shown, "alice+x@e…"));
            CHECK(field_of(shown, "Cache-Control") == "private, no-store");
        }
        CHECK(subscribed(s, list, "alice+x@example.org"));
        // A POST without the pair changes nothing either.
        auto wrong = s.post(url, "List-Unsubscribe=Yes");
        CHECK(wrong.status == 400);
        CHECK(subscribed(s, list, "alice+x@example.org"));
        CHECK(s.post(url, one_click, "", std::nullopt, "text/plain").status == 415);
        CHECK(subscribed(s, list, "alice+x@example.org"));

        // No Origin, no cookie: what a mail provider's POST looks like.
        auto done = s.post(url, one_click, "", std::string());
        CHECK(done.status == 200);
        CHECK(contains(done, "is no longer subscribed"));
        CHECK_FALSE(subscribed(s, list, "alice+x@example.org"));
        CHECK(subscribed(s, list, "bob@example.org"));
        // A retry gets the same answer.
        auto retry = s.post(url, one_click, "", std::string());
        CHECK(retry.status == 200);
        CHECK(contains(retry, "is no longer subscribed"));
    }
}

TEST_CASE("one-click takes multipart/form-data", "[web][one_click]") {
    PrivateSite s(Lists{{"team", {}}});
    s.subscribe("team", "alice@example.org");
    const std::string url =
        "/team/unsubscribe/" + token_for(s.dir("team"), "alice@example.org", qm::lists::now());
    const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""
                             "\r\n\r\nOne-Click\r\n--XyZ--\r\n";
    auto r = s.post(url, body, "", std::string(), "multipart/form-data; boundary=XyZ");
    CHECK(r.status == 200);
    CHECK_FALSE(subscribed(s, "team", "alice@example.org"));

    using qm::web::server::form_text;
    CHECK(form_text("application/x-www-form-urlencoded; charset=UTF-8", "a=b") == "a=b");
    CHECK(form_text("multipart/form-data; boundary=XyZ", body) == one_click);
    CHECK(form_text("multipart/form-data; boundary=XyZ",
                    "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\""
                    "\r\n\r\nOne-Click\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a b\""
                    "\r\n\r\nx&y\r\n--XyZ--\r\n") == "a+b=x%26y");
    CHECK_FALSE(form_text("multipart/form-data", body)); // no boundary
    CHECK_FALSE(form_text("text/plain", "List-Unsubscribe=One-Click"));
}

TEST_CASE("one-click refuses forged expired and malformed tokens", "[web][one_click]") {
    PrivateSite s(Lists{{"team", {}}});
    s.subscribe("team", "alice@example.org");
    const std::time_t now = qm::lists::now();
    const std::string good = token_for(s.dir("team"), "alice@example.org", now);
    std::string forged = good;
    const size_t dot = forged.find('.');
    forged[dot + 1] = forged[dot + 1] == 'a' ? 'b' : 'a';
    std::string other = good;
    other.replace(other.find("alice"), 5, "bobby");
    const std::vector<std::string> bad = {
        forged,
        other,
        token_for(s.dir("team"), "alice@example.org",
                  now - qm::lists::one_click_cookie_lifetime - 10),
        token_for(s.dir("team"), "alice@example.org", now + 3600),
        "x",
        "a%25zz-b",
        good.substr(0, good.find('-')),
    };
    for (const auto& t : bad) {
        INFO(t);
        auto shown = s.get("/team/unsubscribe/" + t);
        CHECK(shown.status == 403);
        CHECK_FALSE(contains(shown, "<form"));
        auto posted = s.post("/team/unsubscribe/" + t, one_click);
        CHECK(posted.status == 403);
        CHECK(subscribed(s, "team", "alice@example.org"));
    }
    // Another list's key does not sign for this one.
    PrivateSite t(Lists{{"team", {}}});
    auto foreign = s.post("/team/unsubscribe/" + token_for(t.dir("team"), "alice@example.org", now),
                          one_click);
    CHECK(foreign.status == 403);
    CHECK(subscribed(s, "team", "alice@example.org"));
    CHECK(s.get("/nosuch/unsubscribe/" + good).status == 404);
    CHECK(s.get("/team/unsubscribe/").status == 404);
    CHECK(s.get("/team/unsubscribe/%zz").status == 404); // not even a URL segment
}

TEST_CASE("one-click answers 503 when the list's files cannot be used", "[web][one_click]") {
    PrivateSite s(Lists{{"team", {}}});
    s.subscribe("team", "alice@example.org");
    const std::string url =
        "/team/unsubscribe/" + token_for(s.dir("team"), "alice@example.org", qm::lists::now());
    // What a server running as another user meets: no key it can read (as root, the test
    // removes it rather than relying on permissions).
    std::filesystem::rename(s.dir("team") + "/key", s.dir("team") + "/key.away");
    auto r = s.post(url, one_click);
    CHECK(r.status == 503);
    CHECK(contains(r, "Cannot unsubscribe now"));
    CHECK(s.get(url).status == 503);
    std::filesystem::rename(s.dir("team") + "/key.away", s.dir("team") + "/key");
    CHECK(subscribed(s, "team", "alice@example.org"));
    CHECK(s.post(url, one_click).status == 200);
}

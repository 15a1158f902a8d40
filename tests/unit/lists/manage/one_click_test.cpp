#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/manage/one_click.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace qm::lists;

namespace {

constexpr std::time_t now = 1'700'000'000;
constexpr std::string_view post_body = "List-Unsubscribe=One-Click";

struct OneClickList {
    qmtest::TempDir tmp;
    std::string dir = tmp.path() + "/l";
    OneClickList() {
        std::filesystem::create_directories(dir + "/subscribers");
        std::filesystem::create_directories(dir + "/digest/subscribers");
        qmtest::spit(dir + "/key", "the list's secret");
        REQUIRE(subscribe(dir, "joe@far.example"));
        REQUIRE(subscribe(dir, "ann@x.example"));
    }
    [[nodiscard]] std::string token(std::string_view address, std::time_t when = now - 60,
                                    CookieScope scope = CookieScope::main) const {
        return one_click_token("the list's secret", scope, when, address);
    }
    [[nodiscard]] bool subscribed(std::string_view address) const {
        auto r = is_subscriber(dir, address);
        REQUIRE(r);
        return *r;
    }
};

} // namespace

TEST_CASE("one-click tokens are box=domain with a cookie, in one URL segment",
          "[lists][one_click]") {
    auto t = one_click_token("k", CookieScope::main, now, "a/b%c@x.example");
    CHECK(t.starts_with("1700000000."));
    CHECK(t.ends_with("-a%2Fb%25c=x.example"));
    CHECK(t.find('/') == std::string::npos);
    CHECK(one_click_url("https://lists.example/team/", t) ==
          "https://lists.example/team/unsubscribe/" + t);
    CHECK(percent_decode(percent_encode("a b/?#%é")) == "a b/?#%é");
    CHECK_FALSE(percent_decode("%4"));
    CHECK_FALSE(percent_decode("%zz"));
    CHECK_FALSE(percent_decode("a%00b"));
    CHECK(percent_decode("a+b") == "a+b");
}

TEST_CASE("a GET never changes a subscription", "[lists][one_click]") {
    OneClickList l;
    for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
        INFO(method);
        // Not even with the POST body (a scanner may send anything).
        auto r = one_click_unsubscribe(l.dir, CookieScope::main, method, l.token("joe@far.example"),
                                       post_body, now);
        REQUIRE(r);
        CHECK(r->outcome == OneClickOutcome::confirm_needed);
        CHECK(r->address == "joe@far.example");
        CHECK(l.subscribed("joe@far.example"));
    }
    CHECK_FALSE(std::filesystem::exists(l.dir + "/Log"));
}

TEST_CASE("a POST of List-Unsubscribe=One-Click with a valid token unsubscribes",
          "[lists][one_click]") {
    OneClickList l;
    auto r = one_click_unsubscribe(l.dir, CookieScope::main, "POST", l.token("joe@far.example"),
                                   "List-Unsubscribe=One-Click\r\n", now);
    REQUIRE(r);
    CHECK(r->outcome == OneClickOutcome::unsubscribed);
    CHECK_FALSE(l.subscribed("joe@far.example"));
    CHECK(l.subscribed("ann@x.example"));
    CHECK(qmtest::slurp(l.dir + "/Log") == "1700000000 - joe@far.example one-click\n");
    // Another body is not a one-click request: only a confirmation page.
    r = one_click_unsubscribe(l.dir, CookieScope::main, "POST", l.token("ann@x.example"),
                              "List-Unsubscribe=Yes", now);
    REQUIRE(r);
    CHECK(r->outcome == OneClickOutcome::confirm_needed);
    CHECK(l.subscribed("ann@x.example"));
}

TEST_CASE("a retried one-click POST reports success again and writes nothing",
          "[lists][one_click]") {
    OneClickList l;
    const std::string token = l.token("joe@far.example");
    auto first = one_click_unsubscribe(l.dir, CookieScope::main, "POST", token, post_body, now);
    REQUIRE(first);
    REQUIRE(first->outcome == OneClickOutcome::unsubscribed);
    const std::string log = qmtest::slurp(l.dir + "/Log");
    const auto files = qmtest::list_dir(l.dir + "/subscribers");
    std::vector<std::string> contents;
    for (const auto& f : files)
        contents.push_back(qmtest::slurp(l.dir + "/subscribers/" + f));
    // The client missed the answer and sends the same request again, later.
    for (int retry = 1; retry <= 2; ++retry) {
        auto again = one_click_unsubscribe(l.dir, CookieScope::main, "POST", token, post_body,
                                           now + retry * 30);
        REQUIRE(again);
        CHECK(again->outcome == OneClickOutcome::unsubscribed);
        CHECK(again->address == "joe@far.example");
    }
    CHECK(qmtest::slurp(l.dir + "/Log") == log);
    CHECK(log == "1700000000 - joe@far.example one-click\n");
    CHECK(qmtest::list_dir(l.dir + "/subscribers") == files);
    for (size_t i = 0; i < files.size(); ++i)
        CHECK(qmtest::slurp(l.dir + "/subscribers/" + files[i]) == contents[i]);
    CHECK(l.subscribed("ann@x.example"));
}

TEST_CASE("a one-click POST for an address that left otherwise says it is not subscribed",
          "[lists][one_click]") {
    OneClickList l;
    // Left by mail (its Log line has no one-click comment)...
    REQUIRE(*unsubscribe(l.dir, "joe@far.example"));
    qmtest::spit(l.dir + "/Log", "1699990000 - joe@far.example\n");
    auto r = one_click_unsubscribe(l.dir, CookieScope::main, "POST", l.token("joe@far.example"),
                                   post_body, now);
    REQUIRE(r);
    CHECK(r->outcome == OneClickOutcome::not_subscribed);
    // ...or left by one-click, came back and left by mail.
    qmtest::spit(l.dir + "/Log", "1699980000 - joe@far.example one-click\n"
                                 "1699985000 + joe@far.example\n"
                                 "1699990000 - JOE@far.example\n");
    r = one_click_unsubscribe(l.dir, CookieScope::main, "POST", l.token("joe@far.example"),
                              post_body, now);
    REQUIRE(r);
    CHECK(r->outcome == OneClickOutcome::not_subscribed);
    // Without any Log.
    std::filesystem::remove(l.dir + "/Log");
    r = one_click_unsubscribe(l.dir, CookieScope::main, "POST", l.token("joe@far.example"),
                              post_body, now);
    REQUIRE(r);
    CHECK(r->outcome == OneClickOutcome::not_subscribed);
    CHECK_FALSE(std::filesystem::exists(l.dir + "/Log"));
}

TEST_CASE("forged, expired or foreign tokens change nothing", "[lists][one_click]") {
    OneClickList l;
    const std::string good = l.token("joe@far.example");
    std::vector<std::string> bad = {
        l.token("joe@far.example", now - one_click_cookie_lifetime - 1), // expired
        l.token("joe@far.example", now + 100),                           // future
        l.token("joe@far.example", now - 60, CookieScope::digest),       // other scope
        one_click_token("another key", CookieScope::main, now - 60, "joe@far.example"),
        // ann's token with joe's address put in: the cookie does not fit.
        good.substr(0, good.find('-')) + "-ann=x.example",
        good.substr(0, 11) + "aaaaaaaaaaaaaaaaaaaa" + good.substr(31), // forged cookie
        "",
        "junk",
        good + "%",
        good.substr(0, good.find('-')) + "-evil@x=far.example",
    };
    for (const auto& t : bad) {
        INFO(t);
        auto r = one_click_unsubscribe(l.dir, CookieScope::main, "POST", t, post_body, now);
        REQUIRE(r);
        CHECK(r->outcome == OneClickOutcome::bad_token);
    }
    CHECK(l.subscribed("joe@far.example"));
    CHECK(l.subscribed("ann@x.example"));
    // A token for the digest list works there only.
    REQUIRE(subscribe(l.dir + "/digest", "joe@far.example"));
    auto r = one_click_unsubscribe(l.dir, CookieScope::digest, "POST",
                                   l.token("joe@far.example", now - 60, CookieScope::digest),
                                   post_body, now);
    REQUIRE(r);
    CHECK(r->outcome == OneClickOutcome::unsubscribed);
    CHECK(l.subscribed("joe@far.example"));
}

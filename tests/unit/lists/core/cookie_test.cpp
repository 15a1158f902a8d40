#include "qm/lists/core/cookie.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using qm::lists::check_cookie;
using qm::lists::CookieAction;
using qm::lists::CookieScope;
using qm::lists::CookieVerdict;
using qm::lists::make_cookie;

namespace {
const std::string key = std::string("secret\0with a NUL", 17);
constexpr std::time_t t0 = 1'700'000'000;
} // namespace

TEST_CASE("a cookie is 20 letters a to p and depends on every input", "[lists][cookie]") {
    auto c =
        make_cookie(key, CookieScope::main, t0, "joe@far.example", CookieAction::subscribe_confirm);
    CHECK(c.size() == 20);
    CHECK(std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'a' && ch <= 'p'; }));
    CHECK(c == make_cookie(key, CookieScope::main, t0, "joe@far.example",
                           CookieAction::subscribe_confirm));
    CHECK(c != make_cookie(key.substr(0, 6), CookieScope::main, t0, "joe@far.example",
                           CookieAction::subscribe_confirm));
    CHECK(c != make_cookie(key, CookieScope::digest, t0, "joe@far.example",
                           CookieAction::subscribe_confirm));
    CHECK(c != make_cookie(key, CookieScope::main, t0 + 1, "joe@far.example",
                           CookieAction::subscribe_confirm));
    CHECK(c != make_cookie(key, CookieScope::main, t0, "jo@far.example",
                           CookieAction::subscribe_confirm));
    CHECK(c != make_cookie(key, CookieScope::main, t0, "joe@far.example",
                           CookieAction::unsubscribe_confirm));
}

TEST_CASE("checking a cookie: valid, forged, expired, from the future", "[lists][cookie]") {
    const auto subject = qm::lists::cookie_subject("Joe@Far.Example");
    CHECK(subject == "Joe@far.example");
    auto c = make_cookie(key, CookieScope::main, t0, subject, CookieAction::subscribe_confirm);
    const auto life = qm::lists::subscription_cookie_lifetime;
    CHECK(check_cookie(key, CookieScope::main, t0, subject, CookieAction::subscribe_confirm, c,
                       t0 + 10, life) == CookieVerdict::valid);
    CHECK(check_cookie(key, CookieScope::main, t0, subject, CookieAction::subscribe_confirm, c,
                       t0 + life, life) == CookieVerdict::valid);
    CHECK(check_cookie(key, CookieScope::main, t0, subject, CookieAction::subscribe_confirm, c,
                       t0 + life + 1, life) == CookieVerdict::expired);
    CHECK(check_cookie(key, CookieScope::main, t0, subject, CookieAction::subscribe_confirm, c,
                       t0 - 1, life) == CookieVerdict::from_the_future);
    // Another address, another action, a shortened or altered cookie: all forged.
    CHECK(check_cookie(key, CookieScope::main, t0, "eve@far.example",
                       CookieAction::subscribe_confirm, c, t0 + 10, life) == CookieVerdict::forged);
    CHECK(check_cookie(key, CookieScope::main, t0, subject, CookieAction::subscribe_moderate, c,
                       t0 + 10, life) == CookieVerdict::forged);
    CHECK(check_cookie(key, CookieScope::main, t0, subject, CookieAction::subscribe_confirm,
                       c.substr(0, 19), t0 + 10, life) == CookieVerdict::forged);
    auto altered = c;
    altered[5] = altered[5] == 'a' ? 'b' : 'a';
    CHECK(check_cookie(key, CookieScope::main, t0, subject, CookieAction::subscribe_confirm,
                       altered, t0 + 10, life) == CookieVerdict::forged);
    // The same cookie, moved to a later time to dodge expiry, no longer matches.
    CHECK(check_cookie(key, CookieScope::main, t0 + 100, subject, CookieAction::subscribe_confirm,
                       c, t0 + 200, life) == CookieVerdict::forged);
}

#include "qm/lists/core/ezmlm7_cookie.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using qm::lists::check_ezmlm7_cookie;
using qm::lists::CookieAction;
using qm::lists::CookieScope;
using qm::lists::CookieVerdict;
using qm::lists::ezmlm7_cookie;
using qm::lists::ezmlm7_cookie_matches;
using qm::lists::ezmlm7_scope_key;

namespace {
// A key as the real ezmlm-make's dir/key holds it: the newline is part of it.
const std::string key = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\n";
constexpr std::time_t t0 = 1'700'000'000;
} // namespace

// The expected letters are what ezmlm-idx 7.2.2's own cookie() prints for these inputs:
// the scenario tests check the same against its programs' command addresses.
TEST_CASE("ezmlm-idx 7 cookies come out as 7.2.2 computes them", "[lists][cookie][ezmlm-idx]") {
    CHECK(ezmlm7_cookie(key, "1700000000", "joe@far.example", "s") == "iefemmhpokhkfmjgennd");
    CHECK(ezmlm7_cookie(ezmlm7_scope_key(key, CookieScope::digest), "1700000000", "joe@far.example",
                        "s") == "jcmcobbehmhejiokjjed");
    CHECK(ezmlm7_cookie(ezmlm7_scope_key(key, CookieScope::allow), "1700000000", "joe@far.example",
                        "t") == "mmhngfboeiooagjlidig");
    // A held post's: over its file name, no address, action a.
    CHECK(ezmlm7_cookie(key, "1700000000.4242", "", "a") == "hjimchnpjgldpicgmdgd");
    // Keyless, no date, no action: the bounce history names (an address over 32 bytes
    // takes more than one block).
    CHECK(ezmlm7_cookie("", "", "joe@far.example", "") == "bmhdhiipoiblhophogoh");
    CHECK(ezmlm7_cookie("", "", "Someone.Long.Name-with-many-characters@Sub.Domain.Example.ORG",
                        "") == "elocjgohljahbcoelgph");
}

TEST_CASE("an ezmlm-idx 7 cookie is checked like ours", "[lists][cookie][ezmlm-idx]") {
    const std::string good = ezmlm7_cookie(key, "1700000000", "joe@far.example", "s");
    const auto check = [&](std::string_view cookie, CookieScope scope, CookieAction action,
                           std::string_view address, std::time_t now) {
        return check_ezmlm7_cookie(key, scope, t0, address, action, cookie, now, 1'000'000);
    };
    CHECK(check(good, CookieScope::main, CookieAction::subscribe_confirm, "joe@far.example",
                t0 + 10) == CookieVerdict::valid);
    CHECK(check(good, CookieScope::main, CookieAction::subscribe_confirm, "joe@far.example",
                t0 + 1'000'001) == CookieVerdict::expired);
    CHECK(check(good, CookieScope::main, CookieAction::subscribe_confirm, "joe@far.example",
                t0 - 1) == CookieVerdict::from_the_future);
    // Another action, scope, address or a changed letter is forged.
    CHECK(check(good, CookieScope::main, CookieAction::unsubscribe_confirm, "joe@far.example",
                t0 + 10) == CookieVerdict::forged);
    CHECK(check(good, CookieScope::digest, CookieAction::subscribe_confirm, "joe@far.example",
                t0 + 10) == CookieVerdict::forged);
    CHECK(check(good, CookieScope::main, CookieAction::subscribe_confirm, "jo@far.example",
                t0 + 10) == CookieVerdict::forged);
    std::string altered = good;
    altered[19] = altered[19] == 'a' ? 'b' : 'a';
    CHECK(check(altered, CookieScope::main, CookieAction::subscribe_confirm, "joe@far.example",
                t0 + 10) == CookieVerdict::forged);
    CHECK(check(good.substr(0, 19), CookieScope::main, CookieAction::subscribe_confirm,
                "joe@far.example", t0 + 10) == CookieVerdict::forged);
    CHECK_FALSE(ezmlm7_cookie_matches(key, "1700000000", "joe@far.example", "s", ""));
}

TEST_CASE("the ezmlm-idx 7 cookie window is a file the admin sets and clears",
          "[lists][cookie][ezmlm-idx]") {
    const auto dir =
        std::filesystem::temp_directory_path() / ("qm-ezmlm7-window-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string d = dir.string();
    std::ofstream(d + "/key") << key;

    auto none = qm::lists::read_ezmlm7_window(d);
    REQUIRE(none);
    CHECK_FALSE(*none);
    REQUIRE(qm::lists::set_ezmlm7_window(d, t0 + 100));
    auto open = qm::lists::read_ezmlm7_window(d);
    REQUIRE(open);
    CHECK(**open == t0 + 100);
    auto k = qm::lists::ezmlm7_key_if_open(d, t0 + 100);
    REQUIRE(k);
    CHECK(**k == key);
    auto closed_by_time = qm::lists::ezmlm7_key_if_open(d, t0 + 101);
    REQUIRE(closed_by_time);
    CHECK_FALSE(*closed_by_time);
    REQUIRE(qm::lists::set_ezmlm7_window(d, std::nullopt));
    CHECK_FALSE(std::filesystem::exists(dir / "ezmlm7cookies"));
    REQUIRE(qm::lists::set_ezmlm7_window(d, std::nullopt)); // closing twice is fine

    std::ofstream(d + "/ezmlm7cookies") << "next week\n";
    auto bad = qm::lists::read_ezmlm7_window(d);
    REQUIRE_FALSE(bad);
    CHECK_FALSE(bad.error().permanent());
    std::filesystem::remove_all(dir);
}

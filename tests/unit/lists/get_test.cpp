// ezmlm-get's request syntax and ranges (ezmlm-get(1)): what list-get.N_M and friends ask
// for, and how the numbers are clamped to the archive.
#include "qm/lists/digest.hpp"
#include "qm/lists/get.hpp"

#include <catch2/catch.hpp>

using namespace qm::lists;

TEST_CASE("archive requests parse as ezmlm-get reads them", "[lists][get]") {
    auto get = parse_request("get.2_4", std::nullopt);
    REQUIRE(get.has_value());
    CHECK(get->kind == RequestKind::get);
    CHECK(get->first == 2);
    CHECK(get->second == 4);
    CHECK_FALSE(get->format);
    // '-' or nothing instead of '.', any separator between the numbers, any case.
    for (const char* a : {"get-2-4", "get2.4", "GET.2_4", "get.2x4"}) {
        INFO(a);
        auto r = parse_request(a, std::nullopt);
        REQUIRE(r.has_value());
        CHECK(r->kind == RequestKind::get);
        CHECK(r->first == 2);
        CHECK(r->second == 4);
    }
    auto virgin = parse_request("getv.7", std::nullopt);
    REQUIRE(virgin.has_value());
    CHECK(virgin->format == CollectionFormat::virgin);
    CHECK(virgin->first == 7);
    CHECK(virgin->second == 0);
    CHECK(parse_request("getn.7", std::nullopt)->format == CollectionFormat::native);
    CHECK(parse_request("getx", std::nullopt)->format == CollectionFormat::mixed);
    CHECK(parse_request("index", std::nullopt)->kind == RequestKind::index);
    CHECK(parse_request("index.100_299", std::nullopt)->second == 299);
    CHECK(parse_request("thread.12", std::nullopt)->kind == RequestKind::thread);
    CHECK(parse_request("digest", std::nullopt)->kind == RequestKind::get);
    // Not for ezmlm-get.
    for (const char* a : {"subscribe", "digest-subscribe", "help", "sc.1.abc-joe=x", "dig", ""})
        CHECK(parse_request(a, std::nullopt)->kind == RequestKind::none);
}

TEST_CASE("unknown formats and wrong digest codes are refused permanently", "[lists][get]") {
    auto r = parse_request("getr.5", std::nullopt);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().permanent());
    CHECK(r.error().text.find("RFC 1153") != std::string::npos);
    auto q = parse_request("getq.5", std::nullopt);
    REQUIRE_FALSE(q.has_value());
    CHECK(q.error().text.find("no archive format 'q'") != std::string::npos);
    // The index ignores the format, as ezmlm-get does.
    CHECK(parse_request("indexr", std::nullopt).has_value());

    auto dig = parse_request("dig.Secret", std::string_view("secret"));
    REQUIRE(dig.has_value());
    CHECK(dig->kind == RequestKind::digest);
    CHECK(parse_request("dig-secretv", std::string_view("secret"))->format ==
          CollectionFormat::virgin);
    auto wrong = parse_request("dig.guess", std::string_view("secret"));
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.error().permanent());
    CHECK(wrong.error().text == "that is not this list's digest code");
    CHECK_FALSE(parse_request("dig.secret", std::nullopt).has_value());
    CHECK_FALSE(parse_request("dig.secretless", std::string_view("secret")).has_value());
}

TEST_CASE("get ranges are clamped like ezmlm-get's", "[lists][get]") {
    auto r = [](unsigned long a, unsigned long b, unsigned long max, unsigned long dig) {
        auto m = get_range(a, b, max, dig);
        return std::pair(m.from, m.to);
    };
    CHECK(r(2, 4, 5, 0) == std::pair(2UL, 4UL));
    CHECK(r(4, 2, 5, 0) == std::pair(4UL, 4UL));        // get.4_2: just 4
    CHECK(r(5, 0, 9, 0) == std::pair(5UL, 5UL));        // get.5: just 5
    CHECK(r(3, 900, 50, 0) == std::pair(3UL, 50UL));    // not beyond the archive
    CHECK(r(1, 500, 1000, 0) == std::pair(1UL, 100UL)); // at most 100
    CHECK(r(0, 0, 5, 0) == std::pair(1UL, 5UL));        // default: the last 30
    CHECK(r(0, 0, 100, 0) == std::pair(70UL, 100UL));
    CHECK(r(0, 0, 100, 90) == std::pair(90UL, 100UL)); // since the last digest
    CHECK(r(0, 0, 500, 200) == std::pair(401UL, 500UL));
    CHECK(r(999, 0, 50, 0) == std::pair(50UL, 50UL));  // beyond: the last one
    CHECK(r(999, 1, 50, 40) == std::pair(10UL, 50UL)); // get.999_x: 30 before the digest on
}

TEST_CASE("index requests cover blocks of a hundred", "[lists][get]") {
    auto b = [](unsigned long a, unsigned long c, unsigned long max) {
        auto m = index_blocks(a, c, max);
        return std::pair(m.from, m.to);
    };
    CHECK(b(0, 0, 5) == std::pair(0UL, 0UL));
    CHECK(b(0, 0, 250) == std::pair(1UL, 2UL)); // the last 100-200 entries
    CHECK(b(150, 0, 250) == std::pair(1UL, 1UL));
    CHECK(b(1, 99999, 99999) == std::pair(0UL, 20UL)); // at most 2000 entries
}

TEST_CASE("a digest is due by count, size or time", "[lists][digest]") {
    DigestThresholds t; // 30 posts, 64 KB, 48 hours
    DigestState s{10, 100, 1'000'000};
    Num num{.last = 11, .kbytes = 101};
    CHECK_FALSE(digest_due(t, s, num, 1'000'000 + 3600));
    CHECK(digest_due(t, s, num, 1'000'000 + 48 * 3600));
    num.last = 40;
    CHECK(digest_due(t, s, num, 1'000'000));
    num.last = 11;
    num.kbytes = 100 + 64 * 4;
    CHECK(digest_due(t, s, num, 1'000'000));
    // Nothing undigested: never due.
    num.last = 10;
    CHECK_FALSE(digest_due(t, s, num, 2'000'000));
    // 0 switches a criterion off.
    DigestThresholds off{0, 0, 0};
    num = Num{.last = 1000, .kbytes = 100000};
    CHECK_FALSE(digest_due(off, s, num, 9'000'000));
}

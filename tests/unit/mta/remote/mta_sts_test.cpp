// MTA-STS's parts without I/O: the TXT record, the policy document, MX patterns and the
// policy cache (RFC 8461 3.1, 3.2, 4.1, 5).
#include "qm/remote/mta_sts.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

using namespace qm::remote::sts;

TEST_CASE("mta-sts TXT record - the id of the one v=STSv1 record", "[unit][remote][mta-sts]") {
    CHECK(txt_policy_id({"v=STSv1; id=20160831085700Z;"}) == "20160831085700Z");
    CHECK(txt_policy_id({"v=STSv1;id=abc"}) == "abc");
    CHECK(txt_policy_id({"v=spf1 -all", "v=STSv1; id=1; ext=whatever"}) == "1");
    // Unknown fields are skipped, and the first id counts.
    CHECK(txt_policy_id({"v=STSv1; x=y; id=A1; id=B2"}) == "A1");
    // No record, someone else's, two of ours: no policy.
    CHECK_FALSE(txt_policy_id({}));
    CHECK_FALSE(txt_policy_id({"v=STSv10; id=1"}));
    CHECK_FALSE(txt_policy_id({"id=1; v=STSv1"}));
    CHECK_FALSE(txt_policy_id({"v=STSv1; id=1", "v=STSv1; id=2"}));
    // An id must be 1 to 32 letters and digits.
    CHECK_FALSE(txt_policy_id({"v=STSv1; id="}));
    CHECK_FALSE(txt_policy_id({"v=STSv1; id=2016-08-31"}));
    CHECK_FALSE(txt_policy_id({"v=STSv1; id=" + std::string(33, 'a')}));
    CHECK(txt_policy_id({"v=STSv1; id=" + std::string(32, 'a')}) == std::string(32, 'a'));
    CHECK_FALSE(txt_policy_id({"v=STSv1"}));
}

TEST_CASE("mta-sts policy - the document's fields", "[unit][remote][mta-sts]") {
    auto p = parse_policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
                          "mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n");
    REQUIRE(p);
    CHECK(p->mode == Mode::enforce);
    CHECK(p->mx ==
          std::vector<std::string>{"mail.example.com", "*.example.net", "backupmx.example.com"});
    CHECK(p->max_age == 604800);

    // LF alone, no final line end, any order, unknown keys, blank lines, spaces.
    p = parse_policy("mode:testing\n\nmax_age:  86400 \nfuture: thing\nversion: STSv1\nmx: m.x");
    REQUIRE(p);
    CHECK(p->mode == Mode::testing);
    CHECK(p->max_age == 86400);
    CHECK(p->mx == std::vector<std::string>{"m.x"});

    // mode none needs no mx; max_age above a year is a year.
    p = parse_policy("version: STSv1\nmode: none\nmax_age: 99999999999999999999999\n");
    REQUIRE(p);
    CHECK(p->mode == Mode::none);
    CHECK(p->max_age == max_age_limit);
}

TEST_CASE("mta-sts policy - malformed documents say what is wrong", "[unit][remote][mta-sts]") {
    auto error = [](std::string_view text) {
        auto p = parse_policy(text);
        REQUIRE_FALSE(p);
        CHECK_FALSE(p.error().permanent());
        return p.error().text;
    };
    const std::string ok_tail = "mode: enforce\nmx: a.example\nmax_age: 60\n";
    CHECK(error("version: STSv2\n" + ok_tail) == "line 1: version is not STSv1: \"STSv2\"");
    CHECK(error(ok_tail) == "no version");
    CHECK(error("version: STSv1\nmx: a.example\nmax_age: 60\n") == "no mode");
    CHECK(error("version: STSv1\nmode: enforce\nmx: a.example\n") == "no max_age");
    CHECK(error("version: STSv1\nmode: enforce\nmax_age: 60\n") == "no mx");
    CHECK(error("version: STSv1\nmode: strict\nmx: a\nmax_age: 60\n") ==
          "line 2: unknown mode \"strict\"");
    CHECK(error("version: STSv1\nmode: enforce\nmode: none\nmx: a\nmax_age: 60\n") ==
          "line 3: mode given twice");
    CHECK(error("version: STSv1\n" + ok_tail + "max_age: -1\n") == "line 5: max_age given twice");
    CHECK(error("version: STSv1\nmode: enforce\nmx: a\nmax_age: -1\n") ==
          "line 4: max_age is not a number of seconds: \"-1\"");
    CHECK(error("version: STSv1\nmode: enforce\nmx: a b\nmax_age: 1\n") ==
          "line 3: mx is not a host name: \"a b\"");
    CHECK(error("<html>\n") == "line 1: no colon in \"<html>\"");
    CHECK(error("version: STSv1\n" + ok_tail + std::string(64 * 1024, '#')) ==
          "the policy is larger than 64 KiB");
}

TEST_CASE("mta-sts mx patterns - a wildcard is one whole leftmost label",
          "[unit][remote][mta-sts]") {
    CHECK(mx_pattern_matches("mail.example.com", "mail.example.com"));
    CHECK(mx_pattern_matches("Mail.Example.COM", "mail.example.com."));
    CHECK_FALSE(mx_pattern_matches("mail.example.com", "mail2.example.com"));
    CHECK(mx_pattern_matches("*.example.net", "mx1.example.net"));
    CHECK(mx_pattern_matches("*.example.net", "MX1.EXAMPLE.NET."));
    CHECK_FALSE(mx_pattern_matches("*.example.net", "example.net"));
    CHECK_FALSE(mx_pattern_matches("*.example.net", "a.b.example.net"));
    CHECK_FALSE(mx_pattern_matches("*.example.net", ".example.net"));
    CHECK_FALSE(mx_pattern_matches("*.example.net", "xexample.net"));
    CHECK_FALSE(mx_pattern_matches("", ""));
    Policy p;
    p.mx = {"a.example", "*.b.example"};
    CHECK(p.names("x.b.example"));
    CHECK(p.names("a.example"));
    CHECK_FALSE(p.names("b.example"));
}

TEST_CASE("mta-sts cache - memory and files, until max_age", "[unit][remote][mta-sts]") {
    qmtest::TempDir dir;
    const std::string text = "version: STSv1\nmode: enforce\nmx: mx.d.example\nmax_age: 100\n";
    auto policy = parse_policy(text);
    REQUIRE(policy);
    policy->id = "ID1";
    policy->fetched = 1000;
    {
        PolicyCache cache(dir.path());
        cache.store("D.Example", *policy, text);
        CHECK(qmtest::slurp(dir / "d.example") == "id: ID1\nfetched: 1000\n" + text);
        auto found = cache.find("d.example", 1099);
        REQUIRE(found);
        CHECK(found->id == "ID1");
        CHECK_FALSE(cache.find("d.example", 1100)); // expired
    }
    // Another process (a new qmail-remote) reads the file.
    PolicyCache later(dir.path());
    auto found = later.find("d.example.", 1050);
    REQUIRE(found);
    CHECK(found->mode == Mode::enforce);
    CHECK(found->mx == std::vector<std::string>{"mx.d.example"});
    CHECK(found->fetched == 1000);
    CHECK_FALSE(later.find("d.example", 5000));
    CHECK_FALSE(later.find("other.example", 1050));

    // A domain that is no plain host name never names a file.
    PolicyCache cache(dir.path());
    cache.store("../escape", *policy, text);
    cache.store("a/b", *policy, text);
    CHECK_FALSE(std::filesystem::exists(dir / "../escape"));
    CHECK_FALSE(std::filesystem::exists(dir / "a"));
    CHECK(cache.find("a/b", 1050)); // in memory only

    // A damaged file is no policy.
    qmtest::spit(dir / "broken.example", "id: X\nfetched: soon\n" + text);
    CHECK_FALSE(PolicyCache(dir.path()).find("broken.example", 1050));
    qmtest::spit(dir / "cut.example", "id: X\n");
    CHECK_FALSE(PolicyCache(dir.path()).find("cut.example", 1050));

    // No directory: memory only, no failure.
    PolicyCache nowhere("/nonexistent/mtasts");
    nowhere.store("d.example", *policy, text);
    CHECK(nowhere.find("d.example", 1050));
}

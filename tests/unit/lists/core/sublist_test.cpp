#include "qm/lists/core/sublist.hpp"
#include "qm/lists/core/subscribers.hpp"

#include <catch2/catch.hpp>

using qm::lists::parse_split_rule;
using qm::lists::split_request;
using qm::lists::split_target;
using qm::lists::SplitRule;

using Match = SplitRule::Match;

TEST_CASE("split rules: ezmlm-idx 7's dom:lo:hi:sublist and our older domain:sublist@host",
          "[lists][sublist]") {
    CHECK(parse_split_rule("Far.Example:sub@Hub.Example") ==
          SplitRule{"far.example", 0, 52, "sub@hub.example", Match::domain_suffix});
    CHECK(parse_split_rule("example.far:0:26:sub-a@hub.example") ==
          SplitRule{"example.far", 0, 26, "sub-a@hub.example"});
    CHECK(parse_split_rule(":27:52:sub-b@hub.example") ==
          SplitRule{"", 27, 52, "sub-b@hub.example"});
    // 7.x's defaults: lo 0, hi 52; no name is this list; a name without @host is on the
    // list's host.
    CHECK(parse_split_rule("com::9:sub-c@hub.example") ==
          SplitRule{"com", 0, 9, "sub-c@hub.example"});
    CHECK(parse_split_rule("com:10::sub-d@hub.example") ==
          SplitRule{"com", 10, 52, "sub-d@hub.example"});
    CHECK(parse_split_rule("com:0:52:") == SplitRule{"com", 0, 52, ""});
    CHECK(parse_split_rule("com:0:52") == SplitRule{"com", 0, 52, ""});
    CHECK(parse_split_rule("com:0:52: local-sub ", "list.example") ==
          SplitRule{"com", 0, 52, "local-sub@list.example"});
    for (const char* bad :
         {"far.example", "far.example:5:3:sub@hub.example", "far.example:0:53:sub@hub.example",
          "far.example:x:9:sub@hub.example", "far.example:no-at-sign", "com:0:52:local-sub",
          "far.example:", "a:1:2:d:e"}) {
        INFO(bad);
        auto r = parse_split_rule(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().permanent());
        CHECK(r.error().text.find("bad split rule") != std::string::npos);
    }
}

TEST_CASE("the split hash and domain key are ezmlm-idx 7's", "[lists][sublist]") {
    // The domain key: the two top labels in reverse order.
    CHECK(qm::lists::split_domain_key("d@a.b.c") == "c.b");
    CHECK(qm::lists::split_domain_key("d@B.C.") == "c.b");
    CHECK(qm::lists::split_domain_key("d@a") == "a");
    CHECK(qm::lists::split_domain_key("user@aol.com") == "com.aol");
    // The hash: djb's over the lower-cased address (no "T"), in 64 bits, modulo 53;
    // values worked out by hand from subhash.c's loop.
    CHECK(qm::lists::split_hash("a@b") == qm::lists::subhash64("a@b"));
    CHECK(qm::lists::split_hash("Joe@Far.Example") == qm::lists::subhash64("joe@far.example"));
    CHECK(qm::lists::split_hash("joe@far.example") !=
          static_cast<unsigned>(qm::lists::subscriber_file("joe@far.example") - '@'));
}

TEST_CASE("the first rule whose domain and hash range match serves an address",
          "[lists][sublist]") {
    const std::vector<SplitRule> rules{
        {"far.example", 0, 52, "far@hub.example", Match::domain_suffix},
        {"org", 0, 52, "org@hub.example"},
        {"", 0, 26, "low@hub.example"},
        {"", 27, 52, "high@hub.example"}};
    CHECK(split_target(rules, "joe@far.example") == "far@hub.example");
    CHECK(split_target(rules, "joe@mail.FAR.example") == "far@hub.example");
    CHECK(split_target(rules, "joe@notfar.example") != "far@hub.example");
    // 7.x's key prefix: "org" matches org.example.org's key "org.example".
    CHECK(split_target(rules, "ann@www.example.ORG") == "org@hub.example");
    // The others by the split hash.
    for (const char* a : {"ann@near.example", "bob@near.example", "cy@else.example"}) {
        const unsigned h = qm::lists::split_hash(a);
        CHECK(split_target(rules, a) == (h <= 26 ? "low@hub.example" : "high@hub.example"));
    }
    CHECK_FALSE(split_target({{"far.example", 0, 52, "far@hub.example", Match::domain_suffix}},
                             "joe@near.example"));
    CHECK_FALSE(split_target(rules, "no-domain"));
    // A 7.x key rule written in the usual order does not match (7.x's meaning).
    CHECK_FALSE(split_target({{"aol.com", 0, 52, "x@hub.example"}}, "user@aol.com"));
    CHECK(split_target({{"com.aol", 0, 52, "x@hub.example"}}, "user@aol.com") == "x@hub.example");
    // A rule for this list stops the search: the address stays here.
    CHECK_FALSE(split_target({{"com", 0, 52, ""}, {"", 0, 52, "x@hub.example"}}, "u@aol.com"));
}

TEST_CASE("ezmlm-split turns (un)subscribe requests into the sublist's command address",
          "[lists][sublist]") {
    const std::vector<SplitRule> rules{
        {"far.example", 0, 52, "sub@hub.example", Match::domain_suffix}};
    CHECK(split_request(rules, "subscribe-joe=far.example", "x@y.example") ==
          "sub-subscribe-joe=far.example@hub.example");
    CHECK(split_request(rules, "Unsubscribe", "joe@Far.example") ==
          "sub-unsubscribe-joe=far.example@hub.example");
    CHECK_FALSE(split_request(rules, "subscribe-joe=near.example", "x@far.example"));
    CHECK_FALSE(split_request(rules, "subscribe", "x@near.example"));
    CHECK_FALSE(split_request(rules, "help", "joe@far.example"));
    CHECK_FALSE(split_request(rules, "sc.1700000000.abcdefghijklmnopabcd-joe=far.example",
                              "joe@far.example"));
    CHECK_FALSE(split_request(rules, "subscribe-nonsense", "joe@far.example"));
}

TEST_CASE("a sublist takes posts only from its parent's return path", "[lists][sublist]") {
    using qm::lists::from_parent;
    CHECK(from_parent("main@hub.example", "main-return-7-joe=far.example@hub.example"));
    CHECK(from_parent("main@hub.example", "main-return-7-@HUB.example"));
    CHECK_FALSE(from_parent("main@hub.example", "main@hub.example"));
    CHECK_FALSE(from_parent("main@hub.example", "main-return-7-x@other.example"));
    CHECK_FALSE(from_parent("main@hub.example", "mainly-return-7-x@hub.example"));
    CHECK_FALSE(from_parent("main@hub.example", ""));
}

TEST_CASE("a sublist of a list that is not ezmlm knows its parent by dir/sublistreturn",
          "[lists][sublist]") {
    using qm::lists::from_parent;
    const std::optional<std::string> mlmmj = "rl-bounces-";
    CHECK(from_parent("rl@remote.test", "rl-bounces-12-dynasub-r-x=this.test@remote.test", mlmmj));
    CHECK_FALSE(from_parent("rl@remote.test", "rl-return-12-@remote.test", mlmmj));
    CHECK_FALSE(from_parent("rl@remote.test", "rl-bounces-12-@other.test", mlmmj));
    // An empty file means ezmlm's own form.
    CHECK(from_parent("rl@remote.test", "rl-return-3-@remote.test", std::string()));
}

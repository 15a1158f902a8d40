#include "qm/server/tcprules.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using namespace std::string_literals;
using qm::server::compile_rules;

TEST_CASE("tcprules lines compile to ucspi-tcp's records", "[server][tcprules]") {
    auto r = compile_rules("# comment\n\n127.:allow,RELAYCLIENT=\"\"\n10.1.2.37-39:deny\n"
                           "=.example.com:allow,DATABYTES=\"1000\",X=/a b/\n:allow\n",
                           "rules");
    REQUIRE(r);
    REQUIRE(r->size() == 6);
    CHECK((*r)[0].key == "127.");
    CHECK((*r)[0].data == "+RELAYCLIENT=\0"s);
    CHECK((*r)[1].key == "10.1.2.37");
    CHECK((*r)[3].key == "10.1.2.39");
    CHECK((*r)[3].data == "D\0"s);
    CHECK((*r)[4].data == "+DATABYTES=1000\0+X=a b\0"s);
    CHECK((*r)[5].key.empty());
    CHECK((*r)[5].data.empty());
}

TEST_CASE("malformed tcprules lines: file, line and reason", "[server][tcprules]") {
    struct Case {
        std::string text, error;
    } cases[] = {
        {"nocolon\n", "rules line 1: no colon between address and instructions"},
        {"\n1.2.3.4:\n", "rules line 2: unknown instruction  (expected allow or deny)"},
        {"1.2.3.4:bogus\n", "rules line 1: unknown instruction bogus (expected allow or deny)"},
        {"1.2.3.4:allow,X=\"a\n", "rules line 1: missing closing \" in X=\"a"},
        {"1.2.3.4:allow,X\n", "rules line 1: expected VAR=\"value\" in X"},
        {"1.2.3.4:allow,X=\"a\"b\n", "rules line 1: expected a comma before b"},
        {"1.2.3.9-4:allow\n", "rules line 1: bad address range 1.2.3.9-4"},
        {"1.2.3.4-300:allow\n", "rules line 1: bad address range 1.2.3.4-300"},
        {"1.2.3.4:allow,X=\"a\0\"\n"s, "rules line 1: NUL byte"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto r = compile_rules(c.text, "rules");
        REQUIRE_FALSE(r);
        CHECK(r.error().text == c.error);
        CHECK(r.error().permanent());
    }
}

TEST_CASE("rules lookup follows tcpserver's order", "[server][tcprules]") {
    qmtest::TempDir dir;
    const std::string path = dir / "rules.cdb";
    {
        auto w = qm::cdb::Writer::create(path);
        REQUIRE(w);
        auto rules =
            compile_rules("joe@1.2.3.4:allow,WHO=\"joe\"\n1.2.3.4:allow,WHO=\"ip\"\n"
                          "=mx.example.com:allow,WHO=\"host\"\n1.2.:deny\n1.:allow,WHO=\"1.\"\n"
                          "=.example.com:allow,WHO=\"domain\"\n=:allow,WHO=\"named\"\n"
                          ":allow,WHO=\"anyone\"\n",
                          "rules");
        REQUIRE(rules);
        for (const auto& r : *rules)
            REQUIRE(w->add(r.key, r.data));
        REQUIRE(w->commit());
    }
    auto reader = qm::cdb::Reader::open(path);
    REQUIRE(reader);
    REQUIRE(*reader);
    const auto& table = **reader;
    auto who = [&](std::string_view ip, std::optional<std::string_view> host = {},
                   std::optional<std::string_view> info = {}) {
        auto d = qm::server::lookup_rules(table, ip, host, info);
        REQUIRE(d);
        if (d->deny)
            return "deny:"s + d->matched;
        REQUIRE(d->env.size() == 1);
        return d->env[0].second;
    };
    CHECK(who("1.2.3.4", {}, "joe") == "joe");
    CHECK(who("1.2.3.4") == "ip");
    CHECK(who("9.9.9.9", "mx.example.com") == "host");
    CHECK(who("1.2.9.9") == "deny:1.2.");
    CHECK(who("1.9.9.9") == "1.");
    CHECK(who("9.9.9.9", "www.example.com") == "domain");
    CHECK(who("9.9.9.9", "other.test") == "named");
    CHECK(who("9.9.9.9") == "anyone");
}

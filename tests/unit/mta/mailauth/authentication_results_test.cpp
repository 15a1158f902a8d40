#include "qm/mailauth/authentication_results.hpp"
#include "qm/mailauth/dmarc.hpp"
#include "qm/mailauth/inbound.hpp"

#include <catch2/catch.hpp>

using qm::mailauth::MethodResult;

TEST_CASE("our Authentication-Results field - one result per line and outside text made safe",
          "[mailauth]") {
    std::vector<MethodResult> items;
    items.push_back({"spf",
                     "pass",
                     "domain of ann@a.example designates 192.0.2.7",
                     {{"smtp.mailfrom", "ann@a.example"}}});
    items.push_back({"dkim",
                     "fail",
                     "signature (did not) verify\\",
                     {{"header.d", "a.example"}, {"header.s", "v1"}}});
    items.push_back({"dmarc", "pass", "", {{"header.from", "a \"b\"\r\nX-Evil: 1"}}});
    CHECK(qm::mailauth::authentication_results_field("mx.example", items) ==
          "Authentication-Results: mx.example;\n"
          "\tspf=pass (domain of ann@a.example designates 192.0.2.7) smtp.mailfrom=ann@a.example;\n"
          "\tdkim=fail (signature \\(did not\\) verify\\\\) header.d=a.example header.s=v1;\n"
          "\tdmarc=pass header.from=\"a \\\"b\\\"??X-Evil: 1\"\n");
    CHECK(qm::mailauth::authentication_results_field("mx.example", {}) ==
          "Authentication-Results: mx.example; none\n");
}

TEST_CASE("the authserv-id of a field - past comments and folding and unquoted", "[mailauth]") {
    using qm::mailauth::authserv_id_of;
    CHECK(authserv_id_of(" mx.example; spf=pass") == "mx.example");
    CHECK(authserv_id_of(" mx.example 1; spf=pass") == "mx.example");
    CHECK(authserv_id_of("\n\t(a (nested) comment) mx.example;") == "mx.example");
    CHECK(authserv_id_of(" \"mx.example\"; none") == "mx.example");
    CHECK(authserv_id_of(" \"mx\\.example\"") == "mx.example");
    CHECK(authserv_id_of("mx.example(c); none") == "mx.example");
    CHECK(authserv_id_of("   ").empty());
    CHECK(authserv_id_of(" (unclosed comment").empty());
}

TEST_CASE("fields forged with our authserv-id are found - others and the body are not",
          "[mailauth]") {
    const std::string message = "Authentication-Results: MX.Example; dkim=pass\n"
                                "Subject: hi\n"
                                "authentication-results :\n"
                                "\t(folded) mx.example;\n"
                                "  spf=pass\n"
                                "Authentication-Results: other.example; spf=pass\n"
                                "Authentication-Results: mx.example.evil; spf=pass\n"
                                "\n"
                                "Authentication-Results: mx.example; in the body\n";
    const auto ranges = qm::mailauth::forged_results(message, "mx.example");
    REQUIRE(ranges.size() == 2);
    CHECK(message.substr(ranges[0].first, ranges[0].second - ranges[0].first) ==
          "Authentication-Results: MX.Example; dkim=pass\n");
    CHECK(message.substr(ranges[1].first, ranges[1].second - ranges[1].first) ==
          "authentication-results :\n\t(folded) mx.example;\n  spf=pass\n");
    CHECK(qm::mailauth::forged_results("Subject: x\r\n\r\nAuthentication-Results: mx.example;\n",
                                       "mx.example")
              .empty());
}

TEST_CASE("control/authcheck - the words and an error naming file and line", "[mailauth]") {
    auto c = qm::mailauth::parse_authcheck("# inbound checks\nspf\n\ndkim   # signatures\n", "ctl");
    REQUIRE(c);
    CHECK(c->spf);
    CHECK(c->dkim);
    CHECK_FALSE(c->dmarc);
    CHECK_FALSE(c->dmarc_reject);
    auto r = qm::mailauth::parse_authcheck("dmarc-reject\n", "ctl");
    REQUIRE(r);
    CHECK(r->dmarc);
    CHECK(r->dmarc_reject);
    CHECK(r->any());
    auto arc = qm::mailauth::parse_authcheck("arc\n", "ctl");
    REQUIRE(arc);
    CHECK(arc->arc);
    CHECK_FALSE(arc->dkim);
    CHECK(arc->any());
    CHECK_FALSE(c->arc);
    auto empty = qm::mailauth::parse_authcheck("# nothing\n", "ctl");
    REQUIRE(empty);
    CHECK_FALSE(empty->any());
    auto bad = qm::mailauth::parse_authcheck("spf\nsdkim\n", "/var/qmail/control/authcheck");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().permanent());
    CHECK(bad.error().text.find("/var/qmail/control/authcheck:2: unknown check \"sdkim\"") == 0);
}

TEST_CASE("organizational domains come from the Public Suffix List", "[mailauth]") {
    using qm::mailauth::organizational_domain;
    CHECK(organizational_domain("lists.example.co.uk") == "example.co.uk");
    CHECK(organizational_domain("a.b.Example.COM.") == "example.com");
    CHECK(organizational_domain("example.com") == "example.com");
    CHECK(organizational_domain("foo.bar.pvt.k12.ma.us") == "bar.pvt.k12.ma.us");
    CHECK(organizational_domain("mail.sign.example") == "sign.example");
}

#include "qm/lists/send.hpp"

#include <catch2/catch.hpp>

namespace {

qm::lists::PostSettings settings() {
    qm::lists::PostSettings s;
    s.list = {"/l", "team", "lists.example"};
    s.mailinglist = "contact team-help@lists.example; run by ezmlm";
    s.headerremove = {"return-path", "precedence", "list-post"};
    s.headeradd = "Precedence: bulk\nX-Number: <#n#> of <#l#>@<#h#>\n";
    return s;
}

const std::string post = "Return-Path: <joe@far.example>\n"
                         "From: Joe <joe@far.example>\n"
                         "Subject: hello\n"
                         " world\n"
                         "Precedence: junk\n"
                         "List-Post: <mailto:elsewhere@far.example>\n"
                         "\n"
                         "body\n";

} // namespace

TEST_CASE("the distributed copy carries ezmlm's and RFC 2369/2919 headers", "[lists][send]") {
    auto p = qm::lists::build_post(settings(), 7, post);
    REQUIRE(p);
    CHECK(p->text == "Mailing-List: contact team-help@lists.example; run by ezmlm\n"
                     "List-Id: <team.lists.example>\n"
                     "List-Post: <mailto:team@lists.example>\n"
                     "List-Help: <mailto:team-help@lists.example>\n"
                     "List-Unsubscribe: <mailto:team-unsubscribe@lists.example>\n"
                     "List-Subscribe: <mailto:team-subscribe@lists.example>\n"
                     "List-Owner: <mailto:team-owner@lists.example>\n"
                     "Precedence: bulk\n"
                     "X-Number: 7 of team@lists.example\n"
                     "Delivered-To: mailing list team@lists.example\n"
                     "From: Joe <joe@far.example>\n"
                     "Subject: hello\n"
                     " world\n"
                     "\n"
                     "body\n");
    CHECK(p->archive_size == p->text.size());
}

TEST_CASE("subject prefix, list id and trailer", "[lists][send]") {
    auto s = settings();
    s.prefix = "[team #]";
    s.listid = "Team talk <team.lists.example>";
    s.headeradd = "List-Post: NO\n";
    s.trailer = "--\nleave: <#l#>-unsubscribe@<#h#>\n";
    auto p = qm::lists::build_post(s, 12, "Subject:  hi\n\nbody");
    REQUIRE(p);
    CHECK(p->text.find("Subject: [team 12] hi\n") != std::string::npos);
    CHECK(p->text.find("List-Id: Team talk <team.lists.example>\n") != std::string::npos);
    // headeradd's own List-Post replaces the generated one.
    CHECK(p->text.find("List-Post: NO\n") != std::string::npos);
    CHECK(p->text.find("List-Post: <mailto") == std::string::npos);
    CHECK(p->text.ends_with("\n\nbody\n--\nleave: team-unsubscribe@lists.example\n"));
    CHECK(p->text.substr(0, p->archive_size).ends_with("\n\nbody"));
    // A reply keeps one prefix.
    auto r = qm::lists::build_post(s, 13, "Subject: Re: [team 12] hi\n\nx\n");
    REQUIRE(r);
    CHECK(r->text.find("Subject: Re: [team 12] hi\n") != std::string::npos);
    // No trailer in a MIME multipart post.
    auto m = qm::lists::build_post(
        s, 14, "Content-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\n--x--\n");
    REQUIRE(m);
    CHECK(m->text.ends_with("--x--\n"));
}

TEST_CASE("loops are refused permanently", "[lists][send]") {
    auto looped = qm::lists::build_post(
        settings(), 1, "Delivered-To: mailing list TEAM@lists.example\nSubject: x\n\nbody\n");
    REQUIRE_FALSE(looped);
    CHECK(looped.error().permanent());
    CHECK(looped.error().with_dsn() ==
          "this message is looping: it already has my Delivered-To line (#5.4.6)");
    auto listed = qm::lists::build_post(
        settings(), 1, "mailing-list: contact other-help@x; run by ezmlm\n\nbody\n");
    REQUIRE_FALSE(listed);
    CHECK(listed.error().permanent());
    CHECK(listed.error().dsn == "5.7.2");
    // Another list's Delivered-To is fine.
    CHECK(qm::lists::build_post(settings(), 1,
                                "Delivered-To: mailing list other@lists.example\n\nbody\n"));
}

TEST_CASE("the VERP sender expands per recipient in qmail-send", "[lists][send]") {
    CHECK(qm::lists::verp_sender({"/l", "team", "lists.example"}, 42) ==
          "team-return-42-@lists.example-@[]");
}

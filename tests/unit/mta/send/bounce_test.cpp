#include "qm/send/bounce.hpp"
#include "qm/send/records.hpp"

#include <catch2/catch.hpp>

using namespace qm::send;
using namespace std::string_literals;

TEST_CASE("bounce record paragraphs", "[send][bounce]") {
    CHECK(bounce_record("god@heaven.af.mil",
                        "Sorry, I couldn't find any host named heaven.af.mil. (#5.1.2)\n") ==
          "<god@heaven.af.mil>:\nSorry, I couldn't find any host named heaven.af.mil. "
          "(#5.1.2)\n\n");
    // a missing final newline is added; blank lines inside become "/"
    CHECK(bounce_record("a@b", "one\n\ntwo") == "<a@b>:\none\n/two\n\n");
    CHECK(bounce_record("a@b", "x\n\n\n") == "<a@b>:\nx\n/\n\n");
    CHECK(bounce_record("a\nb@c", "") == "<a_b@c>:\n\n");
}

TEST_CASE("VERP expansion and stripping", "[send][bounce]") {
    CHECK(verp_expand("djb-sos-owner-@silverton.berkeley.edu-@[]", "God@heaven.af.mil") ==
          "djb-sos-owner-God=heaven.af.mil@silverton.berkeley.edu");
    CHECK(verp_expand("plain@x.example", "a@b") == "plain@x.example");
    CHECK(verp_expand("", "a@b").empty());
    CHECK(strip_verp("owner-@host-@[]") == "owner-@host");
    CHECK(strip_verp("owner@host") == "owner@host");
}

TEST_CASE("bounce message is QSBMF byte for byte", "[send][bounce]") {
    BounceSettings s{"MAILER-DAEMON", "mx.example", "postmaster", "mx.example"};
    const std::string rec = bounce_record("god@heaven.af.mil", "No such god. (#5.1.1)\n");
    auto b = make_bounce(s, "joe@a.example", rec, 812090814); // 1995-09-26 04:46:54
    REQUIRE(b);
    CHECK(b->sender.empty());
    CHECK(b->recipient == "joe@a.example");
    CHECK(b->head == "Date: 26 Sep 1995 04:46:54 -0000\n"
                     "From: MAILER-DAEMON@mx.example\n"
                     "To: joe@a.example\n"
                     "Subject: failure notice\n"
                     "\n"
                     "Hi. This is the qmail-send program at mx.example.\n"
                     "I'm afraid I wasn't able to deliver your message to the following "
                     "addresses.\n"
                     "This is a permanent error; I've given up. Sorry it didn't work out.\n"
                     "\n"
                     "<god@heaven.af.mil>:\n"
                     "No such god. (#5.1.1)\n"
                     "\n"
                     "--- Below this line is a copy of the message.\n"
                     "\n"
                     "Return-Path: <joe@a.example>\n");
}

TEST_CASE("VERP sender gets the bounce at its base address", "[send][bounce]") {
    BounceSettings s{"MAILER-DAEMON", "mx.example", "postmaster", "mx.example"};
    auto b = make_bounce(s, "list-owner-@l.example-@[]", "<x@y>:\nno\n\n", 0);
    REQUIRE(b);
    CHECK(b->recipient == "list-owner-@l.example");
    CHECK(b->head.find("\nReturn-Path: <list-owner-@l.example>\n") != std::string::npos);
}

TEST_CASE("double bounce and triple bounce", "[send][bounce]") {
    BounceSettings s{"MAILER-DAEMON", "mx.example", "postmaster", "dbh.example"};
    auto b = make_bounce(s, "", "<x@y>:\nno\n\n", 812090814);
    REQUIRE(b);
    CHECK(b->sender == "#@[]");
    CHECK(b->recipient == "postmaster@dbh.example");
    CHECK(b->head == "Date: 26 Sep 1995 04:46:54 -0000\n"
                     "From: MAILER-DAEMON@mx.example\n"
                     "To: postmaster@dbh.example\n"
                     "Subject: failure notice\n"
                     "\n"
                     "Hi. This is the qmail-send program at mx.example.\n"
                     "I tried to deliver a bounce message to this address, but the bounce "
                     "bounced!\n"
                     "\n"
                     "<x@y>:\nno\n\n"
                     "--- Below this line is the original bounce.\n"
                     "\n"
                     "Return-Path: <>\n");
    CHECK_FALSE(make_bounce(s, "#@[]", "<x@y>:\nno\n\n", 0));
}

TEST_CASE("todo and channel records", "[send][records]") {
    auto e = parse_todo("u1000\0p42\0Fjoe@a\0Tbob@b\0Tann@c\0"s);
    REQUIRE(e);
    CHECK(e->uid == "1000");
    CHECK(e->pid == "42");
    CHECK(e->sender == "joe@a");
    CHECK(e->recipients == std::vector<std::string>{"bob@b", "ann@c"});
    auto bad = parse_todo("u1\0Xzz\0Fa\0"s);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().permanent());
    CHECK_FALSE(parse_todo("u1\0p2\0"s));
    CHECK_FALSE(parse_todo("Fa\0Tb"s)); // torn record

    auto recs = parse_channel("Tbob@b\0Dann@c\0Tx@y\0Tpartial"s);
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].offset == 0);
    CHECK_FALSE(recs[0].done);
    CHECK(recs[1].done);
    CHECK(recs[1].offset == 7);
    CHECK(recs[2].address == "x@y");
    CHECK(recs[2].offset == 14);
    CHECK(channel_record("a@b") == "Ta@b\0"s);
}

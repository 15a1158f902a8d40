#include "qm/local/dot_qmail.hpp"

#include <catch2/catch.hpp>

using qm::local::Instruction;
using Kind = qm::local::Instruction::Kind;
using namespace std::string_literals;

namespace {

std::vector<Instruction> parse_ok(std::string_view text) {
    auto r = qm::local::parse_dot_qmail(text);
    REQUIRE(r);
    return *r;
}

} // namespace

TEST_CASE("each .qmail line kind is recognised", "[local][dot_qmail]") {
    auto lines = parse_ok("# a comment\n"
                          "./Mailbox\n"
                          "/var/mail/joe\n"
                          "./Maildir/\n"
                          "|preline procmail -a x\n"
                          "&joe@example.com\n"
                          "bob@example.org\n"
                          "+list\n"
                          "+other\n"
                          "\n"
                          "&x@y   \t\n");
    std::vector<Instruction> want = {
        {Kind::comment, " a comment"},
        {Kind::mbox, "./Mailbox"},
        {Kind::mbox, "/var/mail/joe"},
        {Kind::maildir, "./Maildir/"},
        {Kind::program, "preline procmail -a x"},
        {Kind::forward, "joe@example.com"},
        {Kind::forward, "bob@example.org"},
        {Kind::forward_only, "list"},
        {Kind::ignored, "other"},
        {Kind::ignored, ""},
        {Kind::forward, "x@y"},
    };
    CHECK(lines == want);
}

TEST_CASE("a final line without newline counts, trailing blanks decide maildir",
          "[local][dot_qmail]") {
    CHECK(parse_ok("./Maildir/ \t") == std::vector<Instruction>{{Kind::maildir, "./Maildir/"}});
    CHECK(parse_ok("|echo hi") == std::vector<Instruction>{{Kind::program, "echo hi"}});
    CHECK(parse_ok("").empty());
}

TEST_CASE("a blank first line is a temporary failure", "[local][dot_qmail]") {
    for (std::string_view text : {"\n./Mailbox\n", " \t\n&a@b\n", "\n"}) {
        auto r = qm::local::parse_dot_qmail(text);
        REQUIRE_FALSE(r);
        CHECK(r.error().severity == qm::Severity::temporary);
        CHECK(r.error().with_dsn() == "Uh-oh: first line of .qmail file is blank. (#4.2.1)");
    }
}

TEST_CASE("a NUL ends a line as in qmail's C strings", "[local][dot_qmail]") {
    auto lines = parse_ok("&a@b\0junk\n./Mbox\n"s);
    CHECK(lines == std::vector<Instruction>{{Kind::forward, "a@b"}, {Kind::mbox, "./Mbox"}});
}

TEST_CASE("qmail-local -n descriptions", "[local][dot_qmail]") {
    CHECK(qm::local::describe({Kind::mbox, "./Mailbox"}) == "mbox ./Mailbox");
    CHECK(qm::local::describe({Kind::maildir, "./Maildir/"}) == "maildir ./Maildir/");
    CHECK(qm::local::describe({Kind::program, "echo"}) == "program echo");
    CHECK(qm::local::describe({Kind::forward, "a@b"}) == "forward a@b");
    CHECK_FALSE(qm::local::describe({Kind::comment, "x"}));
    CHECK_FALSE(qm::local::describe({Kind::forward_only, "list"}));
}

TEST_CASE("safe_ext lowercases and turns dots into colons", "[local][dot_qmail]") {
    CHECK(qm::local::safe_ext("Foo.Bar-BAZ") == "foo:bar-baz");
    CHECK(qm::local::safe_ext("../../etc") == "::/::/etc");
}

TEST_CASE(".qmail search order follows qmail-local", "[local][dot_qmail]") {
    auto names = [](std::string_view dash, std::string_view ext) {
        std::vector<std::string> out;
        for (auto& c : qm::local::search_order(dash, ext))
            out.push_back(c.name);
        return out;
    };
    CHECK(names("-", "") == std::vector<std::string>{".qmail-", ".qmail-default"});
    CHECK(names("-", "a") == std::vector<std::string>{".qmail-a", ".qmail-default"});
    CHECK(names("-", "a-") ==
          std::vector<std::string>{".qmail-a-", ".qmail-a-default", ".qmail-default"});
    CHECK(names("-", "a-b-c") == std::vector<std::string>{".qmail-a-b-c", ".qmail-a-b-default",
                                                          ".qmail-a-default", ".qmail-default"});
    CHECK(names("-", "Foo.Bar") == std::vector<std::string>{".qmail-foo:bar", ".qmail-default"});
    CHECK(names("", "") == std::vector<std::string>{".qmail", ".qmaildefault"});
}

TEST_CASE("DEFAULT is the part of ext a default file covers", "[local][dot_qmail]") {
    auto order = qm::local::search_order("-", "list-Sub-Joe=x.org");
    REQUIRE(order.size() == 4);
    CHECK_FALSE(order[0].default_from);
    REQUIRE(order[1].default_from);
    CHECK(std::string("list-Sub-Joe=x.org").substr(*order[1].default_from) == "Joe=x.org");
    CHECK(std::string("list-Sub-Joe=x.org").substr(*order[3].default_from) == "list-Sub-Joe=x.org");
    // An extension that itself ends in "default" sets DEFAULT from its exact file too.
    auto d = qm::local::search_order("-", "x-default");
    REQUIRE(d[0].default_from);
    CHECK(*d[0].default_from == 2);
}

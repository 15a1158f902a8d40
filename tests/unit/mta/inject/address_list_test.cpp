#include "qm/inject/address_list.hpp"
#include "qm/inject/rewrite.hpp"

#include <catch2/catch.hpp>

using qm::inject::ListAddress;

namespace {

std::vector<ListAddress> parse(std::string_view s) {
    auto r = qm::inject::parse_address_list(s);
    INFO(s);
    REQUIRE(r);
    return *r;
}

// The value rewritten with an identity rewrite: shows where commas were inserted.
std::string respell(std::string_view s) {
    auto t = qm::inject::tokenize(s);
    REQUIRE(t);
    auto p = qm::inject::split_address_list(*t);
    REQUIRE(p);
    auto out = qm::inject::join_pieces(*p, [](const qm::inject::Tokens& a) { return a; });
    std::string text = qm::inject::unparse(out, 0);
    text.pop_back();
    return text;
}

} // namespace

TEST_CASE("address list table", "[inject][address_list]") {
    struct Row {
        std::string_view in;
        std::vector<ListAddress> out;
    };
    const Row rows[] = {
        {"joe@x.example", {{"joe@x.example", "", "", false}}},
        {"Joe Q <joe@x>", {{"joe@x", "Joe Q", "", true}}},
        {"\"Q, Joe\" <joe@x>, ann@y", {{"joe@x", "Q, Joe", "", true}, {"ann@y", "", "", false}}},
        {"joe@x (Joe Q)", {{"joe@x", "Joe Q", "", false}}},
        {"<@r1,@r2:joe@x>", {{"joe@x", "", "", true}}},
        {"\"joe smith\"@x", {{"joe smith@x", "", "", false}}},
        {"team: a@x, B <b@y>;, c@z",
         {{"a@x", "", "team", false}, {"b@y", "B", "team", true}, {"c@z", "", "", false}}},
        {"undisclosed-recipients: ;", {}},
        {"<>", {{"", "", "", true}}},
        {"djb fred", {{"djb", "", "", false}, {"fred", "", "", false}}},
        {"a@[1.2.3.4]", {{"a@[1.2.3.4]", "", "", false}}},
        {"", {}},
        {"(only a comment)", {}},
    };
    for (const Row& r : rows) {
        INFO(r.in);
        CHECK(parse(r.in) == r.out);
    }
}

TEST_CASE("adjacent addresses get a comma", "[inject][address_list]") {
    CHECK(respell("djb fred") == "djb, fred");
    CHECK(respell("a@b c@d") == "a@b, c@d");
    // Words before <...> are its phrase, even when they look like addresses (qmail).
    CHECK(respell("a@b c@d <e@f>") == "a@b c@d <e@f>");
    CHECK(respell("a@b, c@d") == "a@b, c@d");
    // Comments stay where the right-to-left reading meets them (qmail moves them too).
    CHECK(respell("a (A) b (B)") == "a, b (A) (B)");
    CHECK(respell("g: a b;") == "g: a, b;");
}

TEST_CASE("malformed address lists are permanent failures", "[inject][address_list]") {
    for (std::string_view bad : {"a@b>", "g: a; h: b;;", "x: y", "@r:joe@x", "a;b;"}) {
        auto r = qm::inject::parse_address_list(bad);
        INFO(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().permanent());
    }
}

TEST_CASE("qmail-inject address rewriting", "[inject][rewrite]") {
    auto rw = qm::inject::Rewriter::make({"host.example", "dom.example", "plus.example"});
    REQUIRE(rw);
    auto one = [&](std::string_view in) {
        auto t = qm::inject::tokenize(in);
        REQUIRE(t);
        return qm::inject::unquote(rw->address(*t));
    };
    CHECK(one("God") == "God@host.example"); // lone box
    CHECK(one("joe@silverton") == "joe@silverton.dom.example");
    CHECK(one("joe@x.y") == "joe@x.y");
    CHECK(one("joe@silverton+") == "joe@silverton.plus.example");
    CHECK(one("joe@a.b+") == "joe@a.b.plus.example");
    CHECK(one("@r1,@r2:joe@x.y") == "joe@x.y");     // source route stripped
    CHECK(one("@r1") == "");                        // all route, nothing left
    CHECK(one("joe@x.y.") == "joe@x.y");            // trailing dot
    CHECK(one("joe@") == "joe@host.example");       // trailing @
    CHECK(one("joe@[1.2.3.4]") == "joe@[1.2.3.4]"); // literal: no domain added
    CHECK(one("joe-@host-@[]") == "joe-@host-@[]"); // VERP kept for qmail-send
    CHECK(one("") == "");
    CHECK(one("\"a b\"") == "a b@host.example");

    CHECK(rw->envelope("joe") == "joe@host.example");
    CHECK(rw->envelope("joe smith@x") == "joe smith@x.dom.example");
    CHECK(rw->envelope("") == "");

    auto single = qm::inject::Rewriter::make({"localhost", "dom.example", "p"});
    REQUIRE(single);
    // A defaulthost without dots gets the default domain as well.
    CHECK(*single->envelope("joe") == "joe@localhost.dom.example");
}

TEST_CASE("rewriting a whole list keeps phrases, comments and groups", "[inject][rewrite]") {
    auto rw = qm::inject::Rewriter::make({"h.example", "d.example", "p.example"});
    REQUIRE(rw);
    auto t = qm::inject::tokenize("To: \"Joe\" <joe>, g: ann (Ann), bob@x;, djb fred");
    REQUIRE(t);
    auto v = rw->list(std::span<const qm::inject::Token>(t->begin() + 2, t->end()));
    REQUIRE(v);
    qm::inject::Tokens all(t->begin(), t->begin() + 2);
    all.insert(all.end(), v->begin(), v->end());
    CHECK(qm::inject::unparse(all) ==
          "To: \"Joe\" <joe@h.example>, g: ann@h.example (Ann), bob@x.d.example;,\n"
          "  djb@h.example, fred@h.example\n");
}

TEST_CASE("a list that does not parse still yields the addresses met before the error",
          "[inject][addrlist]") {
    auto found = [](std::string_view value) {
        auto t = qm::inject::tokenize(value);
        REQUIRE(t);
        std::vector<qm::inject::Tokens> before;
        auto pieces = qm::inject::split_address_list(*t, &before);
        CHECK_FALSE(pieces);
        std::vector<std::string> out;
        for (const auto& a : before)
            out.push_back(qm::inject::unquote(a));
        return out;
    };
    // Right to left: what lies right of the error is met first.
    CHECK(found("a:b@x.example") == std::vector<std::string>{"b@x.example"});
    CHECK(found("c@z.example, a:b@x.example") == std::vector<std::string>{"b@x.example"});
    CHECK(found("a:b@x.example, c@y.example") ==
          std::vector<std::string>{"b@x.example", "c@y.example"});
    CHECK(found("u@v.example>, w@x.example") ==
          std::vector<std::string>{"u@v.example", "w@x.example"});
    CHECK(found("x; y@z.example;") == std::vector<std::string>{"y@z.example"}); // nested group
    CHECK(found("a:").empty());
}

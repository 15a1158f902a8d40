#include "qm/fwd/dot_forward.hpp"

#include <catch2/catch.hpp>

using Kind = qm::fwd::DotForwardAction::Kind;
using namespace std::string_literals;

namespace {

const qm::fwd::Qualify q{"dh.example", "dd.example", "pd.example", "me.example"};

std::vector<std::pair<Kind, std::string>> actions(const std::string& text) {
    auto r = qm::fwd::parse_dot_forward(text, ".forward", q, "bob", "h.example");
    REQUIRE(r);
    std::vector<std::pair<Kind, std::string>> out;
    for (auto& a : *r)
        out.emplace_back(a.kind, a.text);
    return out;
}

} // namespace

TEST_CASE(".forward lines as dot-forward 0.71 reads them", "[forward][dotforward]") {
    using V = std::vector<std::pair<Kind, std::string>>;
    CHECK(actions("alice, |prog x\nBob\n") == V{{Kind::forward, "x@dh.example"},
                                                {Kind::program, "prog"},
                                                {Kind::forward, "alice@dh.example"},
                                                {Kind::direct, ""}});
    CHECK(actions("# only a comment\n").empty());
    CHECK(actions("\\bob, carol\n") == V{{Kind::forward, "carol@dh.example"}, {Kind::direct, ""}});
    CHECK(actions("bob@H.example\n") == V{{Kind::direct, ""}});
    CHECK(actions("bob@other\n") == V{{Kind::forward, "bob@other.dd.example"}});
    CHECK(actions("\"|a b\"\n") == V{{Kind::program, "a b"}});
    CHECK(actions("x: y\n") == V{{Kind::forward, "y@dh.example"}, {Kind::forward, "x@dh.example"}});
    CHECK(actions("Joe <joe@x.org> (work)\n\n") == V{{Kind::forward, "joe@x.org"}});
}

TEST_CASE(".forward refusals name file and line", "[forward][dotforward]") {
    struct Case {
        std::string text, error;
    } cases[] = {
        {"a\n:include:/l\n", ".forward:2: file delivery /l not supported"},
        {"/var/mail/bob\n", ".forward:1: file delivery /var/mail/bob not supported"},
        {"a: \"x\n", ".forward:1: unable to parse this line (unterminated quoted string): a: \"x"},
        {"<>\n", ".forward:1: empty recipient addresses not permitted"},
        {"a\0b@c\n"s, ".forward:1: NUL not permitted in addresses"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto r = qm::fwd::parse_dot_forward(c.text, ".forward", q, "bob", "h.example");
        REQUIRE_FALSE(r);
        CHECK(r.error().text == c.error);
    }
}

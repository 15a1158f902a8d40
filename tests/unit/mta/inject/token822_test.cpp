#include "qm/inject/token822.hpp"

#include <catch2/catch.hpp>

using qm::inject::Token;
using qm::inject::TokenKind;
using qm::inject::Tokens;

namespace {

Tokens tok(std::string_view s) {
    auto t = qm::inject::tokenize(s);
    REQUIRE(t);
    return *t;
}

std::string round_trip(std::string_view s) {
    return qm::inject::unparse(tok(s));
}

} // namespace

TEST_CASE("tokenizer splits words, specials, quotes, literals and comments", "[inject][token822]") {
    Tokens t = tok("To: \"Joe \\\"Q\\\"\" <joe.x@[1.2.3.4]> (the (nested) one);");
    REQUIRE(t.size() == 12);
    CHECK(t[0] == Token{TokenKind::atom, "To"});
    CHECK(t[1].kind == TokenKind::colon);
    CHECK(t[2] == Token{TokenKind::quoted, "Joe \"Q\""});
    CHECK(t[3].kind == TokenKind::left);
    CHECK(t[4] == Token{TokenKind::atom, "joe"});
    CHECK(t[5].kind == TokenKind::dot);
    CHECK(t[6] == Token{TokenKind::atom, "x"});
    CHECK(t[7].kind == TokenKind::at);
    CHECK(t[8] == Token{TokenKind::literal, "1.2.3.4"});
    CHECK(t[9].kind == TokenKind::right);
    CHECK(t[10] == Token{TokenKind::comment, "the (nested) one"});
    CHECK(t[11].kind == TokenKind::semi);
}

TEST_CASE("atoms with bytes that cannot stand unquoted become quoted strings",
          "[inject][token822]") {
    CHECK(tok("J\xc3\xb6rg")[0] == Token{TokenKind::quoted, "J\xc3\xb6rg"});
    CHECK(tok(std::string("a\0b", 3))[0] == Token{TokenKind::quoted, std::string("a\0b", 3)});
    // A backslash quotes in atoms too; an escaped special makes the word a quoted string.
    CHECK(tok("a\\,b")[0] == Token{TokenKind::quoted, "a,b"});
    CHECK(tok("a\\xb")[0] == Token{TokenKind::atom, "axb"});
    CHECK(tok("\\")[0] == Token{TokenKind::quoted, ""});
    CHECK(tok("a)b")[0] == Token{TokenKind::quoted, "a)b"});
}

TEST_CASE("unbalanced syntax is a permanent failure", "[inject][token822]") {
    for (std::string_view bad : {"\"open", "(open", "(a (b)", "[1.2", ") x", "] x", "\"a\\"}) {
        auto t = qm::inject::tokenize(bad);
        INFO(bad);
        REQUIRE_FALSE(t);
        CHECK(t.error().permanent());
    }
}

TEST_CASE("printing and reading back gives the same tokens", "[inject][token822]") {
    for (std::string_view in :
         {"a\\,b c\\(d", "\"x\\\"y\" (p\\(q) [l\\]m]", "\\", "x\\\r\\\ny", "(a(b)c)"}) {
        INFO(in);
        Tokens t = tok(in);
        CHECK(tok(qm::inject::unparse(t)) == t);
    }
}

TEST_CASE("unparse spaces and escapes like qmail", "[inject][token822]") {
    CHECK(round_trip("To:a@b,c@d") == "To: a@b, c@d\n");
    CHECK(round_trip("From:   Joe   Q  <  joe @ x . y >") == "From: Joe Q <joe@x.y>\n");
    CHECK(round_trip("X: \"a\\\\b\" (c\\)d)") == "X: \"a\\\\b\" (c\\)d)\n");
    CHECK(round_trip("Cc: list: ;") == "Cc: list: ;\n");
    CHECK(qm::inject::unparse(Tokens{}) == "\n");
}

TEST_CASE("unparse folds after commas near 80 columns", "[inject][token822]") {
    std::string field = "To:";
    for (int i = 0; i < 12; ++i)
        field += " user" + std::to_string(i) + "@example.com,";
    field.pop_back();
    std::string out = round_trip(field);
    // Every line fits and continuation lines start with two spaces.
    size_t start = 0;
    int lines = 0;
    while (start < out.size()) {
        auto nl = out.find('\n', start);
        std::string line = out.substr(start, nl - start);
        CHECK(line.size() <= 80);
        if (lines > 0)
            CHECK(line.rfind("  user", 0) == 0);
        ++lines;
        start = nl + 1;
    }
    CHECK(lines == 4);
    // The pending break's two bytes count against the limit, as in qmail.
    CHECK(out.substr(0, 61) == "To: user0@example.com, user1@example.com, user2@example.com,\n");
    // line_length 0: never fold.
    std::string flat = qm::inject::unparse(tok(field), 0);
    CHECK(flat.find('\n') == flat.size() - 1);
    CHECK(flat.size() == out.size() - 2 * 3); // each of the three breaks adds "\n "
}

TEST_CASE("unquote gives the envelope form", "[inject][token822]") {
    CHECK(qm::inject::unquote(tok("\"joe smith\" @ [1.2.3.4] (comment)")) == "joe smith@[1.2.3.4]");
    CHECK(qm::inject::unquote(tok("a.b@c")) == "a.b@c");
}

TEST_CASE("word_token quotes only when needed", "[inject][token822]") {
    CHECK(qm::inject::word_token("joe").kind == TokenKind::atom);
    CHECK(qm::inject::word_token("joe.x").kind == TokenKind::atom);
    CHECK(qm::inject::word_token("joe smith").kind == TokenKind::quoted);
    CHECK(qm::inject::word_token("a..b").kind == TokenKind::quoted);
    CHECK(qm::inject::word_token(".a").kind == TokenKind::quoted);
    CHECK(qm::inject::word_token("a@b").kind == TokenKind::quoted);
    CHECK(qm::inject::word_token("").kind == TokenKind::quoted);
}

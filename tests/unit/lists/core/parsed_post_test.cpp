// The post ezmlm-send reads once: fields and body as it sees them, and the bytes that
// came in given back unchanged, however odd the header.
#include "qm/lists/core/parsed_post.hpp"

#include <catch2/catch.hpp>

using qm::lists::ParsedPost;

TEST_CASE("a parsed post gives back its bytes, byte for byte", "[lists][parsed_post]") {
    constexpr char bytes[] = "Subject: \0\xff\x80\n\n\0body\xfe";
    const std::string binary(bytes, sizeof bytes - 1);
    const char* cases[] = {
        "",
        "\n",
        "\r\n",
        "\n\nbody\n",
        "Subject: hi\n\nbody\n",
        "Subject: hi\n\nbody without a newline",
        "Subject: hi",                              // all header, no newline
        "Subject: hi\n folded",                     // a continuation line without a newline
        "Subject: hi\r\nFrom: a@b\r\n\r\nbody\r\n", // CRLF throughout
        " leading continuation\nSubject: x\n\nbody\n",
        "From joe@far.example Mon Jan  1 00:00:00 2024\nSubject: mbox\n\nbody\n",
        "Subject: x\nno colon here\nTo: y\n\nbody\n",
        "Subject: x\n\n\n\ntwo more empty lines\n",
        "Subject: x\n\t\n\nbody\n", // a continuation line of one tab
    };
    for (const char* c : cases) {
        INFO(c);
        CHECK(ParsedPost(c).text() == c);
    }
    CHECK(ParsedPost(binary).text() == binary);
}

TEST_CASE("a parsed post's fields, names and body", "[lists][parsed_post]") {
    const ParsedPost p("Subject : hello\n"
                       "\tworld\n"
                       "X-Odd\n"
                       "FROM:Joe <joe@far.example>\n"
                       "\n"
                       "body\n");
    REQUIRE(p.fields.size() == 3);
    CHECK(p.fields[0].text == "Subject : hello\n\tworld\n");
    CHECK(p.fields[0].name == "subject");
    CHECK(p.fields[0].value() == "hello\n\tworld\n");
    CHECK(p.fields[1].name.empty()); // no colon
    CHECK(p.fields[1].value().empty());
    CHECK(p.fields[2].name == "from");
    CHECK(p.first("from") == &p.fields[2]);
    CHECK(p.first("to") == nullptr);
    CHECK(p.separator == "\n");
    CHECK(p.body == "body\n");

    // A message that ends inside its header: the last field still ends in a newline.
    const ParsedPost cut("To: a\nSubject: b");
    CHECK(cut.fields.back().text == "Subject: b\n");
    CHECK(cut.newline_added);
    CHECK(cut.separator.empty());
    CHECK(cut.body.empty());

    const ParsedPost crlf("To: a\r\n\r\nbody\r\n");
    CHECK(crlf.fields[0].text == "To: a\r\n");
    CHECK(crlf.separator == "\r\n");
    CHECK(crlf.body == "body\r\n");
}

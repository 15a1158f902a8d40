#include "qm/remote/body.hpp"
#include "qm/smtp/data_decoder.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;
using qm::remote::BodyEncoder;
using qm::remote::encode_body;

namespace {

std::string decode(const std::string& wire) {
    qm::smtp::DataDecoder d;
    std::string out;
    size_t used = 0;
    REQUIRE(d.feed(wire, out, &used) == qm::smtp::DataDecoder::Outcome::end);
    REQUIRE(used == wire.size());
    return out;
}

} // namespace

TEST_CASE("body: LF becomes CRLF and the terminator follows", "[remote][body]") {
    CHECK(encode_body("Subject: x\n\nhello\n") == "Subject: x\r\n\r\nhello\r\n.\r\n");
    CHECK(encode_body("") == ".\r\n");
    CHECK(encode_body("\n") == "\r\n.\r\n");
}

TEST_CASE("body: a leading dot is doubled on every line", "[remote][body]") {
    CHECK(encode_body(".\n") == "..\r\n.\r\n");
    CHECK(encode_body("a\n.b\n..c\n") == "a\r\n..b\r\n...c\r\n.\r\n");
    CHECK(encode_body(".") == "..\r\n.\r\n");
    CHECK(encode_body("a.b\n") == "a.b\r\n.\r\n"); // not at a line start
}

TEST_CASE("body: a partial final line gets its line end", "[remote][body]") {
    CHECK(encode_body("no newline") == "no newline\r\n.\r\n");
    CHECK(encode_body("x\ny") == "x\r\ny\r\n.\r\n");
}

TEST_CASE("body: a lone CR in the body is a line break and the next line is dot-stuffed",
          "[remote][body]") {
    // mta.md 5.3: qmail-smtpd stores DATA "a<CR>.<CR><LF>MAIL FROM:..." as "a\r.\n...";
    // sent without stuffing that would be a real end-of-data at the next hop. (Each
    // message starts with the empty line that ends its header.)
    CHECK(encode_body("\na\r.\nMAIL FROM:<evil@x>\n") ==
          "\r\na\r\n..\r\nMAIL FROM:<evil@x>\r\n.\r\n");
    CHECK(encode_body("\na\r") == "\r\na\r\n.\r\n");
    CHECK(encode_body("\n\r\r.") == "\r\n\r\n\r\n..\r\n.\r\n");
    // A stored CR LF is one line end, never CR CR LF.
    CHECK(encode_body("\na\r\n.b\r\n") == "\r\na\r\n..b\r\n.\r\n");
    CHECK(encode_body("\na\r\r\n") == "\r\na\r\n\r\n.\r\n");
}

TEST_CASE("body: a lone CR in the header is a space, never a new header line", "[remote][body]") {
    CHECK(encode_body("Subject: a\rX-Injected: yes\n\nbody\rsplit\n") ==
          "Subject: a X-Injected: yes\r\n\r\nbody\r\nsplit\r\n.\r\n");
    // The a<CR>.<CR><LF> vector in a header: still no end-of-data.
    CHECK(encode_body("a\r.\nMAIL FROM:<evil@x>\n") == "a .\r\nMAIL FROM:<evil@x>\r\n.\r\n");
    CHECK(encode_body("a\r") == "a \r\n.\r\n");
    CHECK(encode_body("\r\r.") == "  .\r\n.\r\n");
    // CR LF ends a header line (and, alone on its line, the header) as LF does.
    CHECK(encode_body("a\r\n.b\r\n") == "a\r\n..b\r\n.\r\n");
    CHECK(encode_body("A: a\n\r\nb\rc\n") == "A: a\r\n\r\nb\r\nc\r\n.\r\n");
    CHECK(encode_body("a\r\r\n") == "a \r\n.\r\n");
}

TEST_CASE("body: any split of the input gives the same bytes", "[remote][body]") {
    for (const std::string in : {"a\r.\r\n.\n\r\r\n..x\ry\n.", "\na\r.\r\n.\n\r\r\n..x\ry\n.",
                                 "A: \r\r\nB\rC\r\n\r\nd\re\r"}) {
        const std::string whole = encode_body(in);
        for (size_t piece = 1; piece <= in.size(); ++piece) {
            BodyEncoder e;
            std::string out;
            for (size_t i = 0; i < in.size(); i += piece)
                e.feed(std::string_view(in).substr(i, piece), out);
            e.finish(out);
            CHECK(out == whole);
        }
    }
}

TEST_CASE("body: our own DATA decoder reads back what was stored", "[remote][body]") {
    CHECK(decode(encode_body("Subject: x\n\n.hello\n..\n.\n")) == "Subject: x\n\n.hello\n..\n.\n");
    CHECK(decode(encode_body("\na\r.\nMAIL FROM:<evil@x>\n")) == "\na\n.\nMAIL FROM:<evil@x>\n");
    CHECK(decode(encode_body("a\r.\nMAIL FROM:<evil@x>\n")) == "a .\nMAIL FROM:<evil@x>\n");
    CHECK(decode(encode_body("tail")) == "tail\n");
}

TEST_CASE("body: SIZE counts every LF as CRLF - 8-bit only with a high byte", "[remote][body]") {
    qm::remote::BodyFacts plain;
    plain.feed("Subject: x\n\n");
    plain.feed("seven bit\n");
    CHECK(plain.stored_bytes == 22);
    CHECK(plain.smtp_size() == 25);
    CHECK_FALSE(plain.eight_bit);

    qm::remote::BodyFacts eight;
    eight.feed("Subject: caf\xc3\xa9\n");
    CHECK(eight.eight_bit);
    CHECK(eight.smtp_size() == 16);
}

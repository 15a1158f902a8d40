#include "qm/smtp/data_decoder.hpp"

#include <catch2/catch.hpp>

#include <string>

using qm::smtp::DataDecoder;
using Outcome = DataDecoder::Outcome;

namespace {

struct Decoded {
    Outcome outcome;
    std::string stored;
    size_t used;
};

// Feeds the input one byte at a time when split is true, to prove that no state is lost
// across reads.
Decoded decode(std::string_view in, bool split = false) {
    DataDecoder d;
    Decoded r{Outcome::more, {}, 0};
    if (!split) {
        r.outcome = d.feed(in, r.stored, &r.used);
        return r;
    }
    for (size_t i = 0; i < in.size(); ++i) {
        size_t used = 0;
        r.outcome = d.feed(in.substr(i, 1), r.stored, &used);
        r.used += used;
        if (r.outcome != Outcome::more)
            break;
    }
    return r;
}

} // namespace

TEST_CASE("DATA decoding: CRLF to LF, dot-unstuffing, the end", "[smtp][data]") {
    for (bool split : {false, true}) {
        auto r = decode("Subject: x\r\n\r\n..leading dot\r\nlast\r\n.\r\nQUIT\r\n", split);
        CHECK(r.outcome == Outcome::end);
        CHECK(r.stored == "Subject: x\n\n.leading dot\nlast\n");
        CHECK(r.used ==
              std::string_view("Subject: x\r\n\r\n..leading dot\r\nlast\r\n.\r\n").size());
        // An empty message.
        r = decode(".\r\n", split);
        CHECK(r.outcome == Outcome::end);
        CHECK(r.stored.empty());
    }
}

TEST_CASE("DATA decoding refuses every bare LF, wherever it is", "[smtp][data]") {
    for (bool split : {false, true}) {
        CHECK(decode("a\nb\r\n.\r\n", split).outcome == Outcome::bare_lf);
        CHECK(decode("a\r\n.\n", split).outcome == Outcome::bare_lf);     // CRLF . LF
        CHECK(decode("a\r\n\n.\r\n", split).outcome == Outcome::bare_lf); // LF at line start
        CHECK(decode("\n.\n", split).outcome == Outcome::bare_lf);        // LF . LF
        CHECK(decode("body\r\n\r\nmore\nx", split).outcome == Outcome::bare_lf);
    }
}

TEST_CASE("DATA decoding keeps lone CRs in the body and never ends on CR.CR", "[smtp][data]") {
    for (bool split : {false, true}) {
        // The smuggling vector a<CR>.<CR><LF>: not an end; stored so that the remote
        // side must break the line and dot-stuff. (Each message starts with the empty line
        // that ends its header: these are body lines.)
        auto r = decode("\r\na\r.\r\nMAIL FROM:<evil@x>\r\n.\r\n", split);
        CHECK(r.outcome == Outcome::end);
        CHECK(r.stored == "\na\r.\nMAIL FROM:<evil@x>\n");
        r = decode("\r\nx\r\n.\rmore\r\n.\r\n", split); // a dot line continuing after a CR
        CHECK(r.outcome == Outcome::end);
        CHECK(r.stored == "\nx\n\rmore\n");
        r = decode("\r\na\r\r\n.\r\n", split);
        CHECK(r.stored == "\na\r\n");
        CHECK(decode("a\r.\r", split).outcome == Outcome::more);
    }
}

TEST_CASE("DATA decoding stores a lone CR in the header as a space", "[smtp][data]") {
    for (bool split : {false, true}) {
        // It would split the field in two at the next hop, adding a header.
        auto r = decode("Subject: a\rX-Injected: yes\r\n\r\nbody\rCR\r\n.\r\n", split);
        CHECK(r.outcome == Outcome::end);
        CHECK(r.stored == "Subject: a X-Injected: yes\n\nbody\rCR\n");
        // Before a CRLF, twice in a row, after a leading dot, as the whole line.
        r = decode("A: a\r\r\nB: b\r\r\rc\r\n.\rC: c\r\n\r\r\n\r\n\r\n.\r\n", split);
        CHECK(r.outcome == Outcome::end);
        CHECK(r.stored == "A: a \nB: b   c\n C: c\n \n\n\n");
        CHECK(r.stored.find('\r') == std::string::npos);
    }
}

TEST_CASE("DATA decoding counts stored bytes and header hops", "[smtp][data]") {
    DataDecoder d;
    std::string out;
    size_t used = 0;
    const std::string msg = "Received: a\r\n  folded\r\nDELIVERED-TO: b\r\nreceivedx\r\n"
                            "Subject: s\r\n\r\nReceived: in the body\r\n.\r\n";
    REQUIRE(d.feed(msg, out, &used) == Outcome::end);
    CHECK(d.hops() == 3);
    CHECK(d.stored_bytes() == out.size());
    CHECK(out.size() == msg.size() - 3 - 7); // 7 CRs removed, ".\r\n" not stored
}

TEST_CASE("DATA decoding passes NUL and 8-bit bytes and long lines through", "[smtp][data]") {
    std::string body(100000, 'x');
    body[5] = '\0';
    body[6] = '\xff';
    auto r = decode(body + "\r\n.\r\n");
    CHECK(r.outcome == Outcome::end);
    CHECK(r.stored == body + "\n");
}

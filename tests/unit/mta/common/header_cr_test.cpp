#include "qm/header_cr.hpp"

#include <catch2/catch.hpp>

#include <string>

using qm::header_cr_to_space;

TEST_CASE("header CR: a bare CR in the header becomes a space, the body is left alone",
          "[common][header_cr]") {
    CHECK(header_cr_to_space("Subject: a\rX-Injected: yes\n\nbody\rCR\n") ==
          "Subject: a X-Injected: yes\n\nbody\rCR\n");
    // CR LF is kept: one line end at the next hop, never two.
    CHECK(header_cr_to_space("A: a\r\nB: b\n\n") == "A: a\r\nB: b\n\n");
    CHECK(header_cr_to_space("A: a\r\r\n\n") == "A: a \r\n\n");
    // CR LF alone on its line ends the header as LF does.
    CHECK(header_cr_to_space("A: a\n\r\nb\rc\n") == "A: a\n\r\nb\rc\n");
    CHECK(header_cr_to_space("\nA\rB\n") == "\nA\rB\n");
    // A message with no body at all, and a CR as its last byte.
    CHECK(header_cr_to_space("A: a\rb") == "A: a b");
    CHECK(header_cr_to_space("A: a\r") == "A: a ");
    CHECK(header_cr_to_space("\r") == " ");
    CHECK(header_cr_to_space("").empty());
}

TEST_CASE("header CR: any split gives the same bytes, as many as went in", "[common][header_cr]") {
    for (const std::string in :
         {"A: \r\r\nB\rC\r\n\r\nd\re\r", "X\r\r\r\nY\rZ\n\nbody\r", "\r\n\r\r", "A\r"}) {
        const std::string whole = header_cr_to_space(in);
        CHECK(whole.size() == in.size());
        for (size_t piece = 1; piece <= in.size(); ++piece) {
            qm::HeaderCrFilter f;
            std::string out;
            for (size_t i = 0; i < in.size(); i += piece)
                f.feed(std::string_view(in).substr(i, piece), out);
            f.finish(out);
            INFO(piece);
            CHECK(out == whole);
        }
    }
}

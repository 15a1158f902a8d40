// Charset decoding for the web index: whatever mail claims, the index holds valid UTF-8,
// and mislabelled text comes out as its writer meant it where that can be told.
#include "qm/web/index/text.hpp"

#include <catch2/catch.hpp>

using namespace qm::web;

TEST_CASE("valid UTF-8 is taken whatever the label says", "[web][charset]") {
    // UTF-8 sent as ISO-8859-1 (an old MUA default) or as us-ascii.
    CHECK(to_utf8("caf\xc3\xa9", "iso-8859-1") == "caf\xc3\xa9");
    CHECK(to_utf8("caf\xc3\xa9", "us-ascii") == "caf\xc3\xa9");
    CHECK(to_utf8("plain", "koi8-r") == "plain");
}

TEST_CASE("Latin-1 labelled as UTF-8 is read as Windows-1252", "[web][charset]") {
    CHECK(to_utf8("caf\xe9 cr\xe8me", "utf-8") == "caf\xc3\xa9 cr\xc3\xa8me");
    // 0x80 is the euro sign in Windows-1252, which Latin-1 senders mostly write.
    CHECK(to_utf8("5 \x80", "utf-8") == "5 \xe2\x82\xac");
    CHECK(to_utf8("na\xefve", "") == "na\xc3\xafve");
}

TEST_CASE("a declared charset iconv knows is converted", "[web][charset]") {
    CHECK(to_utf8("\xe1\xe2\xe3", "iso-8859-7") == "\xce\xb1\xce\xb2\xce\xb3"); // alpha beta gamma
    CHECK(to_utf8("\xf0\xd2\xc9\xd7\xc5\xd4", "KOI8-R") ==
          "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"); // Privet
    CHECK(to_utf8("\x82\xa0", "shift_jis") == "\xe3\x81\x82"); // hiragana a
}

TEST_CASE("an unknown or hostile charset name falls back to Windows-1252", "[web][charset]") {
    CHECK(to_utf8("Gr\xfc\xdf"
                  "e",
                  "x-no-such-charset") == "Gr\xc3\xbc\xc3\x9f"
                                          "e");
    CHECK(to_utf8("Gr\xfc\xdf"
                  "e",
                  "unknown-8bit") == "Gr\xc3\xbc\xc3\x9f"
                                     "e");
    // glibc would read "//" as options and a '/' as a path to a converter module.
    CHECK_FALSE(convert_strictly("abc", "utf-8//TRANSLIT"));
    CHECK_FALSE(convert_strictly("abc", "../../tmp/x"));
    CHECK(to_utf8("Gr\xfc\xdf"
                  "e",
                  "../../tmp/x") == "Gr\xc3\xbc\xc3\x9f"
                                    "e");
}

TEST_CASE("bytes no charset explains become U+FFFD and never invalid UTF-8", "[web][charset]") {
    // Declared ISO-2022-JP (7-bit) with 8-bit bytes: strict conversion fails, 1252 has no
    // character for 0x81 or 0x8d.
    const std::string out = to_utf8("a\x81z\x8d", "iso-2022-jp");
    CHECK(is_valid_utf8(out));
    CHECK(out ==
          "a" + std::string(replacement_character) + "z" + std::string(replacement_character));
    // Overlong forms, surrogates, truncated sequences.
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));
    CHECK(repair_utf8("a\xc0\xafz") ==
          "a" + std::string(replacement_character) + std::string(replacement_character) + "z");
    CHECK(is_valid_utf8(repair_utf8("\xf4\x90\x80\x80\xff\xfe")));
    CHECK(utf8_prefix("\xc3\xa9\xc3\xa9", 3) == "\xc3\xa9");
}

TEST_CASE("RFC 2047 words are decoded from their own charsets", "[web][charset]") {
    CHECK(decode_header_text("=?iso-8859-1?Q?Andr=E9_Dupont?=") == "Andr\xc3\xa9 Dupont");
    CHECK(decode_header_text("=?ISO-8859-1?B?Q2Fm6Q==?=") == "Caf\xc3\xa9");
    CHECK(decode_header_text("=?utf-8?q?caf=C3=A9?=") == "caf\xc3\xa9");
    CHECK(decode_header_text("=?UTF-8?B?w6l0w6k=?=") == "\xc3\xa9t\xc3\xa9");
    // Blanks between adjacent encoded words vanish, those next to plain text stay.
    CHECK(decode_header_text("=?utf-8?q?a?= =?utf-8?q?b?= c") == "ab c");
    // Two words in two charsets.
    CHECK(decode_header_text("=?iso-8859-1?q?=E9?= =?koi8-r?q?=F0?=") == "\xc3\xa9\xd0\x9f");
    // An RFC 2231 language suffix.
    CHECK(decode_header_text("=?iso-8859-1*fr?q?=E9t=E9?=") == "\xc3\xa9t\xc3\xa9");
    // Folded, with raw Latin-1 outside any encoded word.
    CHECK(decode_header_text("Re: caf\xe9\n\tau lait") == "Re: caf\xc3\xa9 au lait");
    // A word whose bytes are not what its label says: still valid UTF-8.
    CHECK(decode_header_text("=?utf-8?q?caf=E9?=") == "caf\xc3\xa9");
    CHECK(is_valid_utf8(decode_header_text("=?bogus?b?////?=")));
    // Not encoded words: kept as text.
    CHECK(decode_header_text("=?x?z?y?= and =?") == "=?x?z?y?= and =?");
}

TEST_CASE("HTML becomes words without scripts or styles", "[web][html]") {
    CHECK(html_to_text("<html><head><style>p{color:red}</style><title>T</title></head>"
                       "<body><p>Hello&nbsp;<b>wor</b>ld &amp; you</p><script>alert('x')"
                       "</SCRIPT><p>caf&#233; &#x20AC;5 &bogus; &lt;tag&gt;</p><!-- hidden -->"
                       "</body></html>") == "T\nHello\xc2\xa0world & you\ncaf\xc3\xa9 \xe2\x82\xac"
                                            "5 &bogus; <tag>");
    // Unterminated constructs end the text instead of looping.
    CHECK(html_to_text("text <script>never closed") == "text");
    CHECK(html_to_text("a <b") == "a");
    CHECK(html_to_text("a <!-- b") == "a");
    CHECK(is_valid_utf8(html_to_text("&#0; &#xD800; &#99999999999;")));
}

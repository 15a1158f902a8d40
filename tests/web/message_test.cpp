// What the web index takes from one message: decoded header fields, references, the
// searchable text of its text parts and its attachments, within bounded work.
#include "qm/lists/core/mime.hpp"
#include "qm/web/index/message.hpp"
#include "qm/web/index/text.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace qm::web;

TEST_CASE("header fields are decoded to UTF-8", "[web][message]") {
    const auto m = index_message("From: =?iso-8859-1?Q?Ren=E9e_M=FCller?= <Renee@Example.ORG>\n"
                                 "Subject: =?utf-8?B?w4l0w6kgMjAyNg==?=\n"
                                 "Date: Tue, 3 Mar 2026 10:20:30 +0100 (CET)\n"
                                 "Message-ID: <abc@example.org>\n"
                                 "\n"
                                 "Hello\n");
    CHECK(m.from_name == "Ren\xc3\xa9"
                         "e M\xc3\xbcller");
    CHECK(m.from_address == "renee@example.org");
    CHECK(m.subject == "\xc3\x89t\xc3\xa9 2026");
    CHECK(m.date == 1772529630); // 2026-03-03 09:20:30 UTC
    CHECK(m.message_id == "abc@example.org");
    CHECK(m.body_text == "Hello\n");
    CHECK_FALSE(m.truncated);
    CHECK_FALSE(m.broken_mime);
}

TEST_CASE("dates in obsolete forms", "[web][message]") {
    CHECK(parse_date("3 Mar 2026 09:20:30 -0000") == 1772529630);
    CHECK(parse_date("Tue, 03 Mar 26 09:20 GMT") == 1772529600);
    CHECK(parse_date("3 Mar 2026 04:20:30 EST") == 1772529630);
    CHECK(parse_date("3 Mar 2026 02:20:30 PDT") == 1772529630);
    CHECK(parse_date("Thu, 1 Jan 1970 00:00:00 +0000") == 0);
    CHECK(parse_date("31 Dec 99 23:59:59 +0000") == 946684799);
    CHECK(parse_date("yesterday") == 0);
    CHECK(parse_date("32 Jan 2020 10:00:00 +0000") == 0);
    CHECK(parse_date("") == 0);
}

TEST_CASE("From values in their usual shapes", "[web][message]") {
    auto check = [](const char* value, const char* name, const char* address) {
        INFO(value);
        const auto box = parse_mailbox(value);
        CHECK(box.name == name);
        CHECK(box.address == address);
    };
    check("Joe Cool <joe@x.example>", "Joe Cool", "joe@x.example");
    check("\"Cool, Joe\" <joe@x.example>", "Cool, Joe", "joe@x.example");
    check("joe@x.example (Joe Cool)", "Joe Cool", "joe@x.example");
    check("<joe@x.example>", "", "joe@x.example");
    check("joe@x.example", "", "joe@x.example");
    check("A <a@x.example>, B <b@x.example>", "A", "a@x.example");
    check("=?utf-8?q?J=C3=B6rg?= <j@x.example>", "J\xc3\xb6rg", "j@x.example");
}

TEST_CASE("references: References in order and In-Reply-To last", "[web][message]") {
    const auto m = index_message("Message-ID: <c@x>\n"
                                 "References: <a@x>\n <b@x> <c@x>\n"
                                 "In-Reply-To: <d@x> (your message of Monday)\n"
                                 "\nbody\n");
    CHECK(m.references == std::vector<std::string>{"a@x", "b@x", "d@x"});
    CHECK(m.in_reply_to == "d@x");
    const auto plain = index_message("In-Reply-To: your message of Monday\n\nbody\n");
    CHECK(plain.references.empty());
}

TEST_CASE("a base64 Latin-1 body is searchable text", "[web][message]") {
    // "Grüße aus Köln" in ISO-8859-1, base64.
    const std::string body = qm::lists::encode_base64("Gr\xfc\xdf"
                                                      "e aus K\xf6ln\n");
    const auto m = index_message("Content-Type: text/plain; charset=iso-8859-1\n"
                                 "Content-Transfer-Encoding: base64\n\n" +
                                 body);
    CHECK(m.body_text == "Gr\xc3\xbc\xc3\x9f"
                         "e aus K\xc3\xb6ln\n");
}

TEST_CASE("text/html counts only without a text/plain alternative", "[web][message]") {
    const std::string alternative = "Content-Type: multipart/alternative; boundary=b\n\n"
                                    "--b\nContent-Type: text/plain\n\nplain words\n"
                                    "--b\nContent-Type: text/html\n\n<p>html words</p>\n--b--\n";
    CHECK(index_message(alternative).body_text == "plain words\n");
    const std::string html_only =
        "Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: "
        "quoted-printable\n\n<p>caf=E9 <script>evil()</script>bar</p>\n";
    CHECK(index_message(html_only).body_text == "caf\xc3\xa9 bar");
    // A long HTML alternative first leaves the text/plain one its room.
    Limits small;
    small.text_bytes = 100;
    const std::string html_first = "Content-Type: multipart/alternative; boundary=b\n\n"
                                   "--b\nContent-Type: text/html\n\n<p>" +
                                   std::string(500, 'h') +
                                   "</p>\n--b\nContent-Type: text/plain\n\nplain words\n--b--\n";
    CHECK(index_message(html_first, small).body_text == "plain words\n");
}

TEST_CASE("attachments: names decoded and sizes counted", "[web][message]") {
    const std::string pdf = std::string(3000, 'x');
    const auto m = index_message(
        "Content-Type: multipart/mixed; boundary=\"=_b\"\n\n"
        "--=_b\nContent-Type: text/plain; charset=utf-8\n\nsee attached\n"
        "--=_b\nContent-Type: application/pdf; name=\"=?iso-8859-1?q?r=E9sum=E9=2Epdf?=\"\n"
        "Content-Transfer-Encoding: base64\nContent-Disposition: attachment\n\n" +
        qm::lists::encode_base64(pdf) +
        "--=_b\nContent-Type: text/plain\nContent-Disposition: attachment;\n"
        " filename*0*=utf-8''%C3%BC;\n filename*1=\"ber.txt\"\n\ntext file\n"
        "--=_b\nContent-Type: image/png\n\nPNG\n"
        "--=_b--\n");
    CHECK(m.body_text == "see attached\n");
    REQUIRE(m.attachments.size() == 3);
    CHECK(m.attachments[0].part == 2);
    CHECK(m.attachments[0].filename == "r\xc3\xa9sum\xc3\xa9.pdf");
    CHECK(m.attachments[0].content_type == "application/pdf");
    CHECK(m.attachments[0].size == 3000);
    CHECK(m.attachments[1].filename == "\xc3\xbc"
                                       "ber.txt");
    CHECK(m.attachments[1].content_type == "text/plain");
    CHECK(m.attachments[2].filename.empty());
    CHECK(m.attachments[2].content_type == "image/png");
}

TEST_CASE("a forwarded message's text and subject are searchable", "[web][message]") {
    const auto m = index_message("Content-Type: multipart/mixed; boundary=o\n\n"
                                 "--o\nContent-Type: text/plain\n\nFYI\n"
                                 "--o\nContent-Type: message/rfc822\n\n"
                                 "Subject: inner topic\nContent-Type: text/plain\n\ninner words\n"
                                 "--o--\n");
    CHECK(m.body_text == "FYI\n\ninner topic\ninner words\n");
}

TEST_CASE("broken MIME is read as text and marked", "[web][message]") {
    const auto never =
        index_message("Content-Type: multipart/mixed; boundary=zz\n\nno parts here\n");
    CHECK(never.broken_mime);
    CHECK(never.body_text == "no parts here\n");
    const auto bad_type = index_message("Content-Type: ;;;\n\nstill text\n");
    CHECK(bad_type.broken_mime);
    CHECK(bad_type.body_text == "still text\n");
}

TEST_CASE("MIME bombs cost bounded work and give bounded records", "[web][message][limits]") {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    // Thousands of parts.
    std::string many = "Content-Type: multipart/mixed; boundary=p\n\n";
    for (int i = 0; i < 20000; ++i)
        many += "--p\nContent-Type: application/octet-stream\n\nx\n";
    many += "--p--\n";
    const auto a = index_message(many);
    CHECK(a.truncated);
    CHECK(a.attachments.size() == Limits{}.attachments);
    // Nesting far beyond the depth limit.
    std::string deep = "Content-Type: multipart/mixed; boundary=d0\n\n";
    std::string tail;
    for (int i = 1; i < 5000; ++i) {
        deep += "--d" + std::to_string(i - 1) + "\nContent-Type: multipart/mixed; boundary=d" +
                std::to_string(i) + "\n\n";
        tail = "--d" + std::to_string(i - 1) + "--\n" + tail;
    }
    const auto b = index_message(deep + "words\n" + tail);
    CHECK(b.broken_mime);
    CHECK(is_valid_utf8(b.body_text));
    // Text far beyond the text limit, and a message beyond the byte limit.
    Limits small;
    small.text_bytes = 1000;
    small.message_bytes = 100000;
    const std::string huge = "Subject: big\n\n" + std::string(500000, 'w') + "\n";
    const auto c = index_message(huge, small);
    CHECK(c.truncated);
    CHECK(c.body_text.size() <= 1000);
    CHECK(c.size == huge.size());
    // Nested message/rfc822 parts stop at enclosed_depth.
    std::string nested = "inner words\n";
    for (int i = 0; i < 50; ++i)
        nested = "Content-Type: message/rfc822\n\n" + nested;
    const auto d = index_message(nested);
    CHECK(d.truncated);
    CHECK(d.body_text.empty());
    // Header words and character references without an end, a megabyte of them.
    std::string words;
    while (words.size() < (1u << 20))
        words += "=?utf-8?q?a";
    CHECK(decode_header_text(words + " ?=x").size() <= words.size() + 4);
    CHECK(decode_header_text(words).size() == words.size());
    CHECK(html_to_text(std::string(1u << 20, '&')).size() == 1u << 20);
    CHECK(clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE("any bytes give valid UTF-8 fields", "[web][message]") {
    std::string junk = "From: \xff\xfe <\xc0@\x80>\nSubject: \xed\xa0\x80 =?utf-8?b?/w==?=\n"
                       "Message-ID: <\xf8\xf8>\nContent-Type: text/plain; charset=\"\xff\"\n\n";
    for (int i = 0; i < 256; ++i)
        junk += static_cast<char>(i);
    const auto m = index_message(junk);
    for (const auto* s : {&m.from_name, &m.from_address, &m.subject, &m.message_id, &m.body_text})
        CHECK(is_valid_utf8(*s));
}

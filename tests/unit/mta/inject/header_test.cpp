#include "qm/inject/header.hpp"

#include <catch2/catch.hpp>

using qm::inject::FieldKind;

TEST_CASE("split_message: fields, continuation lines and body", "[inject][header]") {
    auto m = qm::inject::split_message("To: a,\n b\nSubject: x\n\tcontinued\n\nbody\n");
    REQUIRE(m.fields.size() == 2);
    CHECK(m.fields[0] == "To: a,\n b\n");
    CHECK(m.fields[1] == "Subject: x\n\tcontinued\n");
    CHECK(m.body == "\nbody\n");
}

TEST_CASE("split_message table", "[inject][header]") {
    struct Row {
        std::string_view in;
        std::vector<std::string> fields;
        std::string body;
    };
    const Row rows[] = {
        {"", {}, ""},
        {"Subject: x", {"Subject: x\n"}, ""}, // newline added
        {"Subject: x\n\nno newline", {"Subject: x\n"}, "\nno newline\n"},
        {"hello world\nmore\n", {}, "\nhello world\nmore\n"}, // no header: blank line inserted
        {"A: 1\nnot a header\n", {"A: 1\n"}, "\nnot a header\n"},
        {"From joe Thu Jan 1\nA: 1\n\nb\n", {"MBOX-Line: From joe Thu Jan 1\n", "A: 1\n"}, "\nb\n"},
        {" leading space\n", {}, "\n leading space\n"},
        {"Bad Name: x\n", {}, "\nBad Name: x\n"},
        {"Name  : spaced\n", {"Name  : spaced\n"}, ""},
        {"A: 1\r\n\r\nb\r\n", {"A: 1\r\n"}, "\n\r\nb\r\n"}, // CRLF is not our line end
        {std::string_view("A: n\0l\n\nb\0\n", 11),
         {std::string("A: n\0l\n", 7)},
         std::string("\nb\0\n", 4)},
    };
    for (const Row& r : rows) {
        INFO(r.in);
        auto m = qm::inject::split_message(r.in);
        CHECK(m.fields == r.fields);
        CHECK(m.body == r.body);
    }
}

TEST_CASE("field kinds ignore case and allow blanks before the colon", "[inject][header]") {
    CHECK(qm::inject::field_kind("To: x\n") == FieldKind::to);
    CHECK(qm::inject::field_kind("RESENT-bcc: x\n") == FieldKind::resent_bcc);
    CHECK(qm::inject::field_kind("Return-Path \t: <>\n") == FieldKind::return_path);
    CHECK(qm::inject::field_kind("Mail-Followup-To: x\n") == FieldKind::mail_followup_to);
    CHECK(qm::inject::field_kind("Tox: x\n") == FieldKind::unknown);
    CHECK(qm::inject::field_kind("To x: y\n") == FieldKind::unknown);
    CHECK(qm::inject::field_kind("T: x\n") == FieldKind::unknown);
    CHECK(qm::inject::field_kind("To") == FieldKind::unknown);
}

TEST_CASE("names, values and unfolding", "[inject][header]") {
    CHECK(qm::inject::field_name("Subject : hi\n") == "Subject");
    CHECK(qm::inject::field_value("Subject:  \n hi\n there\n") == "hi\n there\n");
    CHECK(qm::inject::unfold("hi\n there\n") == "hi there");
    CHECK(qm::inject::unfold("a\r\n\tb\r\n") == "a\tb");
    CHECK(qm::inject::unfold("a\nb") == "a\nb"); // not a fold
    CHECK(qm::inject::valid_field_start("X-Y: 1\n"));
    CHECK_FALSE(qm::inject::valid_field_start(": 1\n"));
    CHECK_FALSE(qm::inject::valid_field_start("X\x7f: 1\n"));
    CHECK_FALSE(qm::inject::valid_field_start("no colon\n"));
}

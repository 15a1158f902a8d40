#include "qm/lists/post/post_shape.hpp"
#include "qm/lists/post/reject.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

namespace {

qm::lists::RejectRules list_rules() {
    qm::lists::RejectRules r;
    r.list = qm::lists::ListInfo{"/nonexistent", "team", "lists.example"};
    return r;
}

qm::lists::PostShape shape(const std::string& message) {
    auto s = qm::lists::parse_post(message);
    INFO(message);
    REQUIRE(s);
    return *s;
}

// The refusal text for message under rules, or "" when it is accepted.
std::string refusal(const qm::lists::RejectRules& rules, const std::string& message) {
    auto v = qm::lists::check_post(rules, shape(message));
    if (v) {
        CHECK(v->kind == qm::lists::PostVerdict::Kind::accept);
        return "";
    }
    CHECK(v.error().permanent());
    return v.error().text;
}

const std::string good_header = "From: a@b.example\nTo: Team <team@lists.example>\nSubject: hi\n";

} // namespace

TEST_CASE("Content-Type values: type, subtype and boundary", "[lists][reject]") {
    auto t =
        qm::lists::parse_media_type("Multipart/Mixed (x) ; charset=x;\n boundary=\"=_a b\\\"c\"");
    REQUIRE(t);
    CHECK(t->type == "multipart/mixed");
    CHECK(t->boundary == "=_a b\"c");
    CHECK(t->multipart());
    t = qm::lists::parse_media_type("text/plain; boundary=xyz; boundary=other");
    REQUIRE(t);
    CHECK(t->boundary == "xyz");
    CHECK(qm::lists::parse_media_type("text/html junk; charset=\"utf-8\"")->type == "text/html");
    for (const char* bad :
         {"text", "/plain", "text/", "multipart/mixed", "multipart/mixed; boundary=\"\"",
          "text/plain; a=\"open", "(unclosed text/plain"}) {
        INFO(bad);
        auto b = qm::lists::parse_media_type(bad);
        REQUIRE_FALSE(b);
        CHECK(b.error().permanent());
        CHECK(b.error().text.find("broken MIME") != std::string::npos);
    }
}

TEST_CASE("a post is read once: fields, parts and body size", "[lists][reject]") {
    auto s = shape("From: a@b.example\nTo: x@y.example,\n  team@lists.example\nCc: c@d.example\n"
                   "Subject:  (no subject) \nPrecedence: bulk\n"
                   "Content-Type: multipart/mixed; boundary=outer\n\n"
                   "preamble\n--outer\nContent-Type: text/plain\n\nhello\n"
                   "--outer\nContent-Type: multipart/alternative; boundary=\"inner\"\n\n"
                   "--inner\nContent-Type: text/html\n\n<p>hi</p>\n--inner--\n"
                   "--outer\n\nno header\n--outer--\nepilogue\n");
    CHECK(s.field_names ==
          std::vector<std::string>{"from", "to", "cc", "subject", "precedence", "content-type"});
    CHECK(s.address_fields ==
          std::vector<std::string>{"x@y.example,  team@lists.example", "c@d.example"});
    CHECK(*s.subject == "(no subject)");
    CHECK(*s.precedence == "bulk");
    CHECK(s.content_type.type == "multipart/mixed");
    CHECK(s.part_types == std::vector<std::string>{"text/plain", "multipart/alternative",
                                                   "text/html", "text/plain"});
    CHECK(s.first_body_line == "hello");
    // preamble + "hello\n" + "<p>hi</p>\n" + "no header\n" + epilogue; no part headers
    // and no boundary lines.
    CHECK(s.body_size == 9 + 6 + 10 + 10 + 9);

    auto plain = shape("Subject: x\n\n\n  first line\nsecond\n");
    CHECK(plain.content_type.type == "text/plain");
    CHECK(plain.first_body_line == "first line");
    CHECK(plain.body_size == 21);
}

TEST_CASE("broken MIME is refused with what is wrong", "[lists][reject]") {
    for (const char* bad :
         {"Content-Type: multipart/mixed\n\nx\n",
          "Content-Type: multipart/mixed; boundary=b\n\nno parts here\n",
          "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: image\n\nx\n--b--\n",
          "Content-Type: text/plain; charset=\"utf-8\n\nx\n"}) {
        INFO(bad);
        auto s = qm::lists::parse_post(bad);
        REQUIRE_FALSE(s);
        CHECK(s.error().permanent());
        CHECK(s.error().text.starts_with("Sorry, the message has broken MIME structure: "));
    }
    // Nesting beyond the limit.
    std::string deep;
    for (size_t i = 0; i <= qm::lists::max_mime_depth; ++i)
        deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" +
                std::to_string(i) + "\n";
    auto s = qm::lists::parse_post(deep + "\nx\n");
    REQUIRE_FALSE(s);
    CHECK(s.error().text.find("nested") != std::string::npos);
    // A missing final delimiter is tolerated: the last part runs to the end.
    CHECK(
        qm::lists::parse_post("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nunterminated\n")
            ->part_types.size() == 1);
}

TEST_CASE("ezmlm-reject's rules", "[lists][reject]") {
    auto rules = list_rules();
    CHECK(refusal(rules, good_header + "\nbody\n").empty());
    // The list address in Cc:, any case, in a group, works; a Bcc'd post does not.
    CHECK(refusal(rules, "To: x@y.example\nCc: friends: TEAM@Lists.Example;\nSubject: s\n\nb\n")
              .empty());
    CHECK(refusal(rules, "To: x@y.example\nSubject: s\n\nb\n")
              .find("team@lists.example must be in To: or Cc:") != std::string::npos);
    CHECK(refusal(rules, "To: someteam@lists.example\nSubject: s\n\nb\n").size() > 0);
    // An unparsable To: is still searched.
    CHECK(refusal(rules, "To: \"broken <team@lists.example>\nSubject: s\n\nb\n").empty());
    auto t = rules;
    t.require_list_address = false;
    CHECK(refusal(t, "To: x@y.example\nSubject: s\n\nb\n").empty());
    auto q = rules;
    q.ignore_missing_address = true;
    auto quiet = qm::lists::check_post(q, shape("To: x@y.example\nSubject: s\n\nb\n"));
    REQUIRE(quiet);
    CHECK(quiet->kind == qm::lists::PostVerdict::Kind::ignore);

    // Subjects.
    for (const char* empty : {"", "(none)", "(null)", "(No Subject)"})
        CHECK(refusal(rules, "To: team@lists.example\nSubject: " + std::string(empty) + "\n\nb\n")
                  .find("empty Subject") != std::string::npos);
    CHECK(refusal(rules, "To: team@lists.example\n\nb\n").find("empty Subject") !=
          std::string::npos);
    for (const char* command : {"help", "SUBSCRIBE", " unsubscribe ", "remove"})
        CHECK(refusal(rules, "To: team@lists.example\nSubject: " + std::string(command) + "\n\nb\n")
                  .find("looks like a command") != std::string::npos);
    CHECK(refusal(rules, "To: team@lists.example\nSubject: help with my code\n\nb\n").empty());
    auto b = rules;
    b.body_commands = true;
    CHECK(refusal(b, "To: team@lists.example\nSubject: subscribe me\n\nb\n").size() > 0);
    CHECK(refusal(b, good_header + "\n\nunsubscribe joe@x\n").find("looks like a command") !=
          std::string::npos);
    CHECK(refusal(rules, good_header + "\n\nunsubscribe joe@x\n").empty());

    // Precedence: junk and bulk are ignored, not refused.
    auto junk = qm::lists::check_post(rules, shape(good_header + "Precedence: junk\n\nb\n"));
    REQUIRE(junk);
    CHECK(junk->kind == qm::lists::PostVerdict::Kind::ignore);
    CHECK(refusal(rules, good_header + "Precedence: list\n\nb\n").empty());

    // Sizes count the body text only.
    auto sized = rules;
    sized.max_body = 10;
    sized.min_body = 2;
    CHECK(refusal(sized, good_header + "\n0123456789\n").find("larger than 10 bytes") !=
          std::string::npos);
    CHECK(refusal(sized, good_header + "\n012345678\n").empty());
    CHECK(refusal(sized, good_header + "\n\n").find("shorter than 2 bytes") != std::string::npos);

    // MIME types.
    auto mime = rules;
    mime.mimereject = {"application/x-msdownload"};
    mime.mimeremove = {"text/html"};
    const std::string multi = good_header +
                              "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhi\n--b\n"
                              "Content-Type: application/X-MSDownload; name=x.exe\n\nMZ\n--b--\n";
    CHECK(refusal(mime, multi).find("application/x-msdownload") != std::string::npos);
    CHECK(refusal(mime, good_header + "Content-Type: text/html\n\n<p>\n")
              .find("MIME Content-Type text/html") != std::string::npos);
    mime.mimekeep = std::vector<std::string>{"text/plain"};
    mime.mimeremove.clear();
    CHECK(refusal(mime, good_header + "Content-Type: image/png\n\nx\n").size() > 0);
    CHECK(refusal(mime, good_header + "\nplain\n").empty());

    // headerreject.
    auto hr = rules;
    hr.headerreject = {"x-spam-flag"};
    CHECK(refusal(hr, good_header + "X-Spam-Flag: YES\n\nb\n").find("x-spam-flag") !=
          std::string::npos);
    hr.header_reject = false;
    CHECK(refusal(hr, good_header + "X-Spam-Flag: YES\n\nb\n").empty());

    // A sublist takes its parent's copies as they come (addressed to the parent, bulk).
    auto sub = sized;
    sub.sublist = true;
    auto parent_copy = qm::lists::check_post(
        sub, shape("To: main@lists.example\nPrecedence: bulk\nSubject: s\n\n" +
                   std::string(50, 'x') + "\n"));
    REQUIRE(parent_copy);
    CHECK(parent_copy->kind == qm::lists::PostVerdict::Kind::accept);
}

TEST_CASE("ezmlm-reject reads its limits from the list directory", "[lists][reject]") {
    qmtest::TempDir tmp;
    qmtest::spit(tmp / "outlocal", "team\n");
    qmtest::spit(tmp / "outhost", "lists.example\n");
    qmtest::spit(tmp / "msgsize", "30000:2\n");
    qmtest::spit(tmp / "mimereject", "Application/Zip\n\n");
    qmtest::spit(tmp / "headerreject", "X-Spam\n");
    qm::lists::RejectRules r;
    REQUIRE(qm::lists::read_reject_rules(tmp.path(), r));
    CHECK(r.list->address() == "team@lists.example");
    CHECK(r.max_body == 30000);
    CHECK(r.min_body == 2);
    CHECK(r.mimereject == std::vector<std::string>{"application/zip"});
    CHECK(r.headerreject == std::vector<std::string>{"x-spam"});
    CHECK_FALSE(r.mimekeep);
    qmtest::spit(tmp / "msgsize", "lots\n");
    qm::lists::RejectRules bad;
    auto s = qm::lists::read_reject_rules(tmp.path(), bad);
    REQUIRE_FALSE(s);
    CHECK_FALSE(s.error().permanent());
}

// ezmlm-request's reading of a command (the real program's answers to the same messages
// are compared in tests/scenario/lists/programs_test.cpp).
#include "qm/lists/core/parsed_post.hpp"
#include "qm/lists/manage/request.hpp"

#include <catch2/catch.hpp>

using namespace qm::lists;

namespace {

std::string target_of(std::string_view line, std::string_view sender = "joe@far.example") {
    auto r = parse_request_line(line, "team");
    REQUIRE(r.has_value());
    return request_target(*r, sender, "team", "lists.example");
}

} // namespace

TEST_CASE("a request line becomes its command address", "[lists][request]") {
    CHECK(target_of("subscribe") == "team-subscribe-joe=far.example@lists.example");
    CHECK(target_of("Sub") == "team-subscribe-joe=far.example@lists.example");
    CHECK(target_of("signoff") == "team-unsubscribe-joe=far.example@lists.example");
    CHECK(target_of("unsub ann@near.example") == "team-unsubscribe-ann=near.example@lists.example");
    CHECK(target_of("who") == "team-list-joe=far.example@lists.example");
    CHECK(target_of("ind") == "team-index-joe=far.example@lists.example");
    // Whole command addresses, the list name in any case, the host dropped.
    CHECK(target_of("TEAM-get.5_9") == "team-get.5_9-joe=far.example@lists.example");
    CHECK(target_of("team-subscribe-ann=near.example@lists.example") ==
          "team-subscribe-ann=near.example@lists.example");
    // Owner commands go on as they are; system, put and set get help without arguments.
    CHECK(target_of("mycommand") == "team-mycommand-joe=far.example@lists.example");
    CHECK(target_of("put a b") == "team-help-joe=far.example@lists.example");
    // Tabs are blanks; "command list user".
    CHECK(target_of("sub\tother ann@near.example") ==
          "other-subscribe-ann=near.example@lists.example");
}

TEST_CASE("a request with what cannot be in an address is refused", "[lists][request]") {
    for (const char* bad : {"sub joe;rm@far.example", "Re: what?", "sub$", "joe@far"}) {
        INFO(bad);
        auto r = parse_request_line(bad, "team");
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().permanent());
    }
}

TEST_CASE("the command comes from the Subject or else the body", "[lists][request]") {
    const std::string dt = "Delivered-To: request processor for team@lists.example";
    auto from = [&](const std::string& message) {
        auto r = request_from_message(ParsedPost(message), "team", dt);
        REQUIRE(r.has_value());
        return request_target(*r, "joe@far.example", "team", "lists.example");
    };
    CHECK(from("Subject: index\n\nsubscribe\n") == "team-index-joe=far.example@lists.example");
    CHECK(from("Subject: [team] what?\n\n\n  x\n# y\nunsubscribe\n") ==
          "team-unsubscribe-joe=far.example@lists.example");
    CHECK(from("Subject: 123\n\n\n") == "team-help-joe=far.example@lists.example");
    // The first line of the first part of a multipart message.
    CHECK(from("Subject: \nContent-Type: multipart/mixed; boundary=b\n\npreamble\n--b\n"
               "Content-Type: text/plain\n\nsubscribe\n--b--\n") ==
          "team-subscribe-joe=far.example@lists.example");
    for (const std::string& refused : {std::string("Mailing-List: other\nSubject: subscribe\n\n"),
                                       dt + "\nSubject: subscribe\n\n"}) {
        auto r = request_from_message(ParsedPost(refused), "team", dt);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().permanent());
    }
}

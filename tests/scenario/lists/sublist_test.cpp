// Sublists end to end on one host: joe-team is the main list and hands the readers at
// other.example (a second local domain) to its sublist joe-sub (made with ezmlm-make -0)
// through dir/split; ezmlm-send sends the sublist one copy and the sublist's ezmlm-send,
// which takes posts only from the parent's return path, distributes it with the parent's
// Mailing-List and List-Id. ezmlm-split, which ezmlm-make puts in every manager, forwards
// subscribe requests for other.example to the sublist, whose own confirmation follows.
#include "list_mta.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using liststest::has_line;
using liststest::header_value;
using qmtest::count_of;

namespace {

struct Sublists {
    liststest::ListMta m;
    std::string main_dir, sub_dir;

    Sublists() {
        m.root.control("locals", "test.example\nother.example\n");
        main_dir = m.make_list("team");
        sub_dir = m.make_list("sub", {"-0", "joe-team@test.example"});
        // Written after ezmlm-make: the main list's manager picks it up as it is.
        qmtest::spit(main_dir + "/split",
                     "# other.example (key example.other) is served by joe-sub, on this host\n"
                     "example.other:::joe-sub\n");
        m.root.give_to_user(m.joe);
        for (auto [dir, who] : {std::pair{main_dir, "alice@test.example"},
                                {main_dir, "carol@other.example"},
                                {sub_dir, "carol@other.example"},
                                {sub_dir, "bob@other.example"}})
            REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), dir, who}).exit_code == 0);
    }
    bool wait_ends(size_t n) const {
        return qmtest::wait_for([&] { return count_of(m.send->log(), "end msg ") >= n; });
    }
};

} // namespace

TEST_CASE("a main list sends its sublist one copy instead of the sublist's domain's readers",
          "[scenario][lists][sublist]") {
    Sublists s;
    s.m.start();
    s.m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: hello\n\nall\n");
    // dave's post, the main list's copy, the sublist's copy.
    const bool all_ended = s.wait_ends(3);
    INFO(s.m.send->log());
    REQUIRE(all_ended);
    REQUIRE(s.m.messages("alice").size() == 1);
    REQUIRE(s.m.messages("bob").size() == 1);
    REQUIRE(s.m.messages("carol").size() == 1); // from the sublist only
    const auto alice = s.m.messages("alice")[0];
    CHECK(alice.starts_with("Return-Path: <joe-team-return-1-alice=test.example@test.example>\n"));
    for (const char* user : {"bob", "carol"}) {
        const auto msg = s.m.messages(user)[0];
        INFO(msg);
        CHECK(msg.starts_with("Return-Path: <joe-sub-return-1-" + std::string(user) +
                              "=other.example@test.example>\n"));
        CHECK(has_line(msg, "Mailing-List: contact joe-team-help@test.example; run by ezmlm"));
        CHECK(msg.find("Mailing-List: contact joe-sub-help") == std::string::npos);
        CHECK(has_line(msg, "Delivered-To: mailing list joe-sub@test.example"));
        CHECK(has_line(msg, "List-Post: <mailto:joe-team@test.example>"));
        CHECK(has_line(msg, "List-Id: <joe-team.test.example>"));
        CHECK(msg.find("List-Id: <joe-sub") == std::string::npos);
        CHECK(has_line(msg, "List-Unsubscribe: <mailto:joe-sub-unsubscribe@test.example>"));
        CHECK(msg.find("joe-team-unsubscribe") == std::string::npos);
        CHECK(msg.ends_with("\n\nall\n"));
    }

    // Anyone else posting to the sublist is refused.
    s.m.inject("From: dave@test.example\nTo: joe-sub@test.example\nSubject: direct\n\nx\n");
    REQUIRE(s.m.wait_messages("dave", 1));
    CHECK(s.m.messages("dave")[0].find("this list is a sublist of joe-team@test.example and "
                                       "takes posts only from it (#5.7.2)") != std::string::npos);
    CHECK(s.m.messages("bob").size() == 1);
}

TEST_CASE("ezmlm-split forwards subscribe requests for a split domain to the sublist",
          "[scenario][lists][sublist]") {
    Sublists s;
    // What reaches the rest of each list's manager file lands in an mbox.
    const std::string main_rest = s.m.joe + "/team-requests";
    const std::string sub_rest = s.m.joe + "/sub-requests";
    qmtest::spit(s.main_dir + "/manager",
                 "|" + qmtest::bin("ezmlm-split") + " '" + s.main_dir + "'\n" + main_rest + "\n");
    qmtest::spit(s.sub_dir + "/manager", sub_rest + "\n");
    qmtest::spit(main_rest, "");
    qmtest::spit(sub_rest, "");
    s.m.root.give_to_user(s.m.joe);
    s.m.start();
    s.m.inject("To: joe-team-subscribe-dan=other.example@test.example\nSubject: sub\n\nplease\n");
    s.m.inject("To: joe-team-subscribe-erin=test.example@test.example\nSubject: sub\n\nme too\n");
    REQUIRE(qmtest::wait_for([&] {
        return qmtest::slurp(sub_rest).find("please") != std::string::npos &&
               qmtest::slurp(main_rest).find("me too") != std::string::npos;
    }));
    const std::string forwarded = qmtest::slurp(sub_rest);
    INFO(forwarded);
    CHECK(forwarded.find("Delivered-To: joe-sub-subscribe-dan=other.example@test.example\n") !=
          std::string::npos);
    CHECK(forwarded.find("Return-Path: <dave@test.example>\n") != std::string::npos);
    CHECK(qmtest::slurp(main_rest).find("please") == std::string::npos);
    CHECK(forwarded.find("me too") == std::string::npos);
}

TEST_CASE("a reader subscribes through the main list and gets its posts from the sublist",
          "[scenario][lists][sublist]") {
    Sublists s;
    s.m.start();
    // dave@other.example asks the main list; its ezmlm-split hands the request on.
    const std::string dave = "dave@other.example";
    s.m.queue("From: " + dave + "\nTo: joe-team-subscribe@test.example\nSubject: join\n\nme\n",
              "joe-team-subscribe@test.example", dave);
    const auto ask = s.m.wait_message_with("dave", "Subject: confirm subscribe to joe-sub@");
    INFO(s.m.send->log());
    REQUIRE(!ask.empty());
    const auto confirm = header_value(ask, "Reply-To");
    REQUIRE(confirm);
    CHECK(confirm->starts_with("joe-sub-sc."));
    CHECK(confirm->ends_with("-dave=other.example@test.example"));
    s.m.queue("From: " + dave + "\nTo: " + *confirm + "\nSubject: Re: confirm\n\nyes\n", *confirm,
              dave);
    REQUIRE(!s.m.wait_message_with("dave", "Subject: welcome to joe-sub@").empty());
    auto listed = s.m.root.run({qmtest::bin("ezmlm-list"), s.sub_dir});
    CHECK(listed.out.find(dave + "\n") != std::string::npos);
    CHECK(s.m.subscribers() ==
          std::vector<std::string>{"alice@test.example", "carol@other.example"});

    s.m.inject("From: alice@test.example\nTo: joe-team@test.example\nSubject: news\n\nhello\n",
               "alice");
    const auto post = s.m.wait_message_with("dave", "\n\nhello\n");
    REQUIRE(!post.empty());
    INFO(post);
    CHECK(post.starts_with("Return-Path: <joe-sub-return-1-dave=other.example@test.example>\n"));
    CHECK(has_line(post, "Mailing-List: contact joe-team-help@test.example; run by ezmlm"));
    CHECK(has_line(post, "List-Id: <joe-team.test.example>"));
    CHECK(has_line(post, "Subject: news"));
    // The main list archived it under its return path; the sublist under the main one's.
    CHECK(qmtest::slurp(s.main_dir + "/archive/0/01")
              .starts_with("Return-Path: <alice@test.example>\nMailing-List: "));
    CHECK(qmtest::slurp(s.sub_dir + "/archive/0/01")
              .starts_with("Return-Path: <joe-team-return-1-joe-sub=test.example@test.example>\n"));
}

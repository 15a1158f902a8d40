// RFC 8058 end to end: a list with dir/unsubscribeurl sends every subscriber a copy with
// a one-click link of its own; the link, handed to the function the web archive calls,
// only verifies on GET and unsubscribes that subscriber (and nobody else) on POST.
#include "list_mta.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/manage/one_click.hpp"

#include <catch2/catch.hpp>

using liststest::has_line;
using liststest::header_value;
using liststest::ListMta;

TEST_CASE("with unsubscribeurl every subscriber gets a one-click link of its own",
          "[scenario][lists][one_click]") {
    ListMta m;
    m.make();
    qmtest::spit(m.dir + "/unsubscribeurl", "https://lists.test.example/team\n");
    m.root.give_to_user(m.dir + "/unsubscribeurl");
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "alice@test.example", "bob@test.example"})
                .exit_code == 0);
    m.start();
    m.inject("From: dave@test.example\nTo: joe-team@test.example\nSubject: links\n\nhello\n");
    std::map<std::string, std::string> token;
    for (const std::string u : {"alice", "bob"}) {
        INFO(u);
        auto msg = m.wait_message_with(u, "Subject: links");
        REQUIRE(!msg.empty());
        CHECK(msg.starts_with("Return-Path: <joe-team-return-1-" + u +
                              "=test.example@test.example>"));
        CHECK(has_line(msg, "List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        auto lu = header_value(msg, "List-Unsubscribe");
        REQUIRE(lu);
        const std::string prefix = "<https://lists.test.example/team/unsubscribe/";
        REQUIRE(lu->starts_with(prefix));
        CHECK(lu->ends_with(">, <mailto:joe-team-unsubscribe@test.example>"));
        token[u] = lu->substr(prefix.size(), lu->find('>') - prefix.size());
        CHECK(token[u].ends_with("-" + u + "=test.example"));
        CHECK(msg.ends_with("\n\nhello\n"));
    }
    // The archive holds no one's token.
    auto archived = qmtest::slurp(m.dir + "/archive/0/01");
    CHECK(archived.find("/unsubscribe/") == std::string::npos);

    using qm::lists::OneClickOutcome;
    auto get = qm::lists::one_click_unsubscribe(m.dir, qm::lists::CookieScope::main, "GET",
                                                token["alice"], "", qm::lists::now());
    REQUIRE(get);
    CHECK(get->outcome == OneClickOutcome::confirm_needed);
    CHECK(m.subscribers().size() == 2);
    auto post = qm::lists::one_click_unsubscribe(m.dir, qm::lists::CookieScope::main, "POST",
                                                 token["alice"], "List-Unsubscribe=One-Click",
                                                 qm::lists::now());
    REQUIRE(post);
    CHECK(post->outcome == OneClickOutcome::unsubscribed);
    CHECK(post->address == "alice@test.example");
    CHECK(m.subscribers() == std::vector<std::string>{"bob@test.example"});
}

#include "qm/lists/post/send.hpp"

#include <catch2/catch.hpp>

namespace {

qm::lists::PostSettings settings() {
    qm::lists::PostSettings s;
    s.list = {"/l", "team", "lists.example"};
    s.mailinglist = "contact team-help@lists.example; run by ezmlm";
    s.headerremove = {"return-path", "precedence", "list-post"};
    s.headeradd = "Precedence: bulk\nX-Number: <#n#> of <#l#>@<#h#>\n";
    return s;
}

const std::string post = "Return-Path: <joe@far.example>\n"
                         "From: Joe <joe@far.example>\n"
                         "Subject: hello\n"
                         " world\n"
                         "Precedence: junk\n"
                         "List-Post: <mailto:elsewhere@far.example>\n"
                         "\n"
                         "body\n";

// build_post on a post given as text.
qm::Result<qm::lists::Post> build(const qm::lists::PostSettings& s, unsigned long n,
                                  std::string_view text) {
    return qm::lists::build_post(s, n, qm::lists::ParsedPost(text));
}

} // namespace

TEST_CASE("the distributed copy carries ezmlm's and RFC 2369/2919 headers", "[lists][send]") {
    auto p = build(settings(), 7, post);
    REQUIRE(p);
    CHECK(p->text == "Mailing-List: contact team-help@lists.example; run by ezmlm\n"
                     "List-Id: <team.lists.example>\n"
                     "List-Post: <mailto:team@lists.example>\n"
                     "List-Help: <mailto:team-help@lists.example>\n"
                     "List-Unsubscribe: <mailto:team-unsubscribe@lists.example>\n"
                     "List-Subscribe: <mailto:team-subscribe@lists.example>\n"
                     "List-Owner: <mailto:team-owner@lists.example>\n"
                     "Precedence: bulk\n"
                     "X-Number: 7 of team@lists.example\n"
                     "Delivered-To: mailing list team@lists.example\n"
                     "From: Joe <joe@far.example>\n"
                     "Subject: hello\n"
                     " world\n"
                     "\n"
                     "body\n");
    CHECK(p->archive_size == p->text.size());
}

TEST_CASE("subject prefix, list id and trailer", "[lists][send]") {
    auto s = settings();
    s.prefix = "[team #]";
    s.listid = "Team talk <team.lists.example>";
    s.headeradd = "List-Post: NO\n";
    s.trailer = "--\nleave: <#l#>-unsubscribe@<#h#>\n";
    auto p = build(s, 12, "Subject:  hi\n\nbody");
    REQUIRE(p);
    CHECK(p->text.find("Subject: [team 12] hi\n") != std::string::npos);
    CHECK(p->text.find("List-Id: Team talk <team.lists.example>\n") != std::string::npos);
    // headeradd's own List-Post replaces the generated one.
    CHECK(p->text.find("List-Post: NO\n") != std::string::npos);
    CHECK(p->text.find("List-Post: <mailto") == std::string::npos);
    CHECK(p->text.ends_with("\n\nbody\n--\nleave: team-unsubscribe@lists.example\n"));
    CHECK(p->text.substr(0, p->archive_size).ends_with("\n\nbody"));
    // A reply keeps one prefix.
    auto r = build(s, 13, "Subject: Re: [team 12] hi\n\nx\n");
    REQUIRE(r);
    CHECK(r->text.find("Subject: Re: [team 12] hi\n") != std::string::npos);
    // No trailer in a MIME multipart post.
    auto m = build(s, 14, "Content-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\n--x--\n");
    REQUIRE(m);
    CHECK(m->text.ends_with("--x--\n"));
}

TEST_CASE("loops are refused permanently", "[lists][send]") {
    auto looped =
        build(settings(), 1, "Delivered-To: mailing list TEAM@lists.example\nSubject: x\n\nbody\n");
    REQUIRE_FALSE(looped);
    CHECK(looped.error().permanent());
    CHECK(looped.error().with_dsn() ==
          "this message is looping: it already has my Delivered-To line (#5.4.6)");
    auto listed =
        build(settings(), 1, "mailing-list: contact other-help@x; run by ezmlm\n\nbody\n");
    REQUIRE_FALSE(listed);
    CHECK(listed.error().permanent());
    CHECK(listed.error().dsn == "5.7.2");
    // Another list's Delivered-To is fine.
    CHECK(build(settings(), 1, "Delivered-To: mailing list other@lists.example\n\nbody\n"));
}

TEST_CASE("the VERP sender expands per recipient in qmail-send", "[lists][send]") {
    CHECK(qm::lists::verp_sender({"/l", "team", "lists.example"}, 42) ==
          "team-return-42-@lists.example-@[]");
}

TEST_CASE("every List-* field appears once, headeradd's replacing ours", "[lists][send]") {
    auto s = settings();
    s.headeradd = "List-Help: <https://lists.example/help>\nList-Archive: <https://a.example/>\n";
    // The post's own List-* fields go even though headerremove does not name them.
    auto p = build(s, 3,
                   "List-Help: <mailto:other-help@far.example>\n"
                   "List-Archive: <https://far.example/>\n"
                   "List-Id: <other.far.example>\n"
                   "List-Unsubscribe: <mailto:other-unsubscribe@far.example>\n"
                   "X-Other: kept\n"
                   "\nbody\n");
    REQUIRE(p);
    INFO(p->text);
    for (const char* name : {"\nList-Help:", "\nList-Archive:", "\nList-Id:", "\nList-Unsubscribe:",
                             "\nList-Post:", "\nList-Subscribe:"}) {
        const std::string head = "\n" + p->text.substr(0, p->text.find("\n\n") + 1);
        size_t n = 0;
        for (size_t at = head.find(name); at != std::string::npos; at = head.find(name, at + 1))
            ++n;
        CHECK(n == 1);
    }
    CHECK(p->text.find("List-Help: <https://lists.example/help>\n") != std::string::npos);
    CHECK(p->text.find("List-Archive: <https://a.example/>\n") != std::string::npos);
    CHECK(p->text.find("List-Id: <team.lists.example>\n") != std::string::npos);
    CHECK(p->text.find("far.example") == std::string::npos);
    CHECK(p->text.find("X-Other: kept\n") != std::string::npos);
    CHECK(p->warnings.empty());
}

TEST_CASE("with one-click unsubscription the generated pair wins over headeradd's lines",
          "[lists][send]") {
    auto s = settings();
    s.unsubscribe_url = "https://lists.example/u";
    s.headeradd = "Precedence: bulk\n"
                  "List-Unsubscribe: <mailto:<#l#>-unsubscribe@<#h#>>\n"
                  "list-unsubscribe-post: List-Unsubscribe=One-Click\n"
                  "List-Help: <mailto:<#l#>-help@<#h#>>\n";
    auto p = build(s, 5, "List-Unsubscribe-Post: x\nSubject: hi\n\nbody\n");
    REQUIRE(p);
    INFO(p->text);
    // Neither headeradd's lines nor the post's: send_post adds the pair per recipient.
    CHECK(p->text.find("nsubscribe") == std::string::npos);
    CHECK(p->text.find("List-Help: <mailto:team-help@lists.example>\n") != std::string::npos);
    CHECK(p->text.find("Precedence: bulk\n") != std::string::npos);
    REQUIRE(p->warnings.size() == 2);
    CHECK(p->warnings[0].find("\"List-Unsubscribe: <mailto:team-unsubscribe@lists.example>\"") !=
          std::string::npos);
    CHECK(p->warnings[0].find("/l/headeradd") != std::string::npos);
    CHECK(p->warnings[1].find("list-unsubscribe-post") != std::string::npos);
    // Without the URL, headeradd's List-Unsubscribe is the one.
    s.unsubscribe_url.reset();
    auto q = build(s, 5, "Subject: hi\n\nbody\n");
    REQUIRE(q);
    CHECK(q->warnings.empty());
    CHECK(q->text.find("List-Unsubscribe: <mailto:team-unsubscribe@lists.example>\n") !=
          std::string::npos);
    CHECK(q->text.find("List-Unsubscribe:", q->text.find("List-Unsubscribe:") + 1) ==
          std::string::npos);
}

TEST_CASE("a sublist passes the main list's List-Id and List-Post on", "[lists][send]") {
    auto s = settings();
    s.parent = "team@main.example";
    s.headerremove = {"return-path", "list-help", "list-unsubscribe"};
    const std::string from_main = "Mailing-List: contact team-help@main.example; run by ezmlm\n"
                                  "List-Id: <team.main.example>\n"
                                  "List-Post: <mailto:team@main.example>\n"
                                  "List-Help: <mailto:team-help@main.example>\n"
                                  "Subject: hi\n\nbody\n";
    auto p = build(s, 2, from_main);
    REQUIRE(p);
    INFO(p->text);
    CHECK(p->text.find("List-Id: <team.main.example>\n") != std::string::npos);
    CHECK(p->text.find("List-Id: <team.lists.example>") == std::string::npos);
    CHECK(p->text.find("List-Post: <mailto:team@main.example>\n") != std::string::npos);
    CHECK(p->text.find("List-Post:", p->text.find("List-Post:") + 1) == std::string::npos);
    // Its own List-Help, where its readers unsubscribe.
    CHECK(p->text.find("List-Help: <mailto:team-help@lists.example>\n") != std::string::npos);
    CHECK(p->text.find("team-help@main.example>") == std::string::npos);
    CHECK(p->text.find("Mailing-List: contact team-help@main.example") != std::string::npos);
    // Never two: of a doubled field only the first passes.
    auto twice = build(s, 2,
                       "List-Id: <team.main.example>\n"
                       "List-Id: <forged.example>\n\nbody\n");
    REQUIRE(twice);
    CHECK(twice->text.find("List-Id: <team.main.example>\n") != std::string::npos);
    CHECK(twice->text.find("forged") == std::string::npos);
    // A headerremove that drops them (a sublist made by hand): its own List-Id, and the
    // main list in List-Post.
    s.headerremove.push_back("list-id");
    s.headerremove.push_back("list-post");
    auto q = build(s, 2, from_main);
    REQUIRE(q);
    CHECK(q->text.find("List-Id: <team.lists.example>\n") != std::string::npos);
    CHECK(q->text.find("List-Id: <team.main.example>") == std::string::npos);
    CHECK(q->text.find("List-Post: <mailto:team@main.example>\n") != std::string::npos);
}

TEST_CASE("the archived copy starts with the Return-Path qmail-local would give it",
          "[lists][send]") {
    CHECK(qm::lists::archive_text(std::string("joe@far.example"), "From: x\n\nbody\n") ==
          "Return-Path: <joe@far.example>\nFrom: x\n\nbody\n");
    CHECK(qm::lists::archive_text(std::nullopt, "From: x\n\n") == "Return-Path: <>\nFrom: x\n\n");
    CHECK(qm::lists::archive_text(std::string("joe smith@far.example"), "\n") ==
          "Return-Path: <\"joe smith\"@far.example>\n\n");
    CHECK(qm::lists::archive_text(std::string("a\nb@far.example"), "\n")
              .starts_with("Return-Path: <"));
    CHECK(qm::lists::archive_text(std::string("a\nb@far.example"), "\n").find('\n') ==
          qm::lists::archive_text(std::string("a\nb@far.example"), "\n").size() - 2);
}

TEST_CASE("the distributed copy keeps the body of the parsed post byte for byte", "[lists][send]") {
    qm::lists::PostSettings s;
    s.list = {"/l", "team", "lists.example"};
    s.mailinglist = "contact team-help@lists.example; run by ezmlm";
    constexpr char bytes[] = "line\r\n\0binary\xff\nlast line without newline";
    const std::string body(bytes, sizeof bytes - 1);
    auto copy = qm::lists::build_post(s, 1, qm::lists::ParsedPost("Subject: s\n\n" + body));
    REQUIRE(copy);
    CHECK(copy->text.ends_with("Subject: s\n\n" + body));
}

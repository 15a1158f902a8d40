#include "qm/lists/post/dmarc.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>

using qm::lists::DmarcCache;
using qm::lists::DmarcMode;
using qm::lists::DmarcPolicy;
using qm::lists::DmarcRecord;
using qm::lists::parse_dmarc_record;

namespace {

qm::lists::ListInfo team() {
    qm::lists::ListInfo l;
    l.outlocal = "team";
    l.outhost = "lists.example";
    return l;
}

// munge_from on a post given as text, the result as text.
std::optional<std::string> munge_from(std::string_view text, const qm::lists::ListInfo& list) {
    auto out = qm::lists::munge_from(qm::lists::ParsedPost(text), list);
    if (!out)
        return std::nullopt;
    return out->text();
}

std::vector<std::string> from_domains(std::string_view text) {
    return qm::lists::from_domains(qm::lists::ParsedPost(text));
}

std::string header_of(const std::string& msg) {
    return msg.substr(0, msg.find("\n\n") + 1);
}

// A fake DNS: TXT records by name, a failure for names in `failing`, and a log of what
// was asked.
struct FakeDns {
    std::map<std::string, std::vector<std::string>> txt;
    std::vector<std::string> failing;
    std::vector<std::string> asked;
    qm::lists::TxtLookup lookup() {
        return [this](const std::string& name) -> qm::Result<std::vector<std::string>> {
            asked.push_back(name);
            if (std::find(failing.begin(), failing.end(), name) != failing.end())
                return qm::fail(qm::temp("4.4.3", "timeout"));
            auto it = txt.find(name);
            return it == txt.end() ? std::vector<std::string>{} : it->second;
        };
    }
};

} // namespace

TEST_CASE("DMARC records: version first, p and sp, anything else is no record", "[lists][dmarc]") {
    CHECK(parse_dmarc_record("v=DMARC1; p=reject") == DmarcRecord{DmarcPolicy::reject, {}});
    CHECK(parse_dmarc_record("v=DMARC1;p=quarantine;sp=none;rua=mailto:d@x.example") ==
          DmarcRecord{DmarcPolicy::quarantine, DmarcPolicy::none});
    CHECK(parse_dmarc_record(" v = DMARC1 ; P = Reject ; pct=100 ") ==
          DmarcRecord{DmarcPolicy::reject, {}});
    CHECK(parse_dmarc_record("v=DMARC1; p=none") == DmarcRecord{DmarcPolicy::none, {}});
    // An unknown or missing p= is p=none.
    CHECK(parse_dmarc_record("v=DMARC1; p=bogus") == DmarcRecord{DmarcPolicy::none, {}});
    CHECK(parse_dmarc_record("v=DMARC1; rua=mailto:d@x.example") ==
          DmarcRecord{DmarcPolicy::none, {}});
    CHECK_FALSE(parse_dmarc_record("v=spf1 -all"));
    CHECK_FALSE(parse_dmarc_record("p=reject; v=DMARC1"));
    CHECK_FALSE(parse_dmarc_record("v=DMARC2; p=reject"));
    CHECK_FALSE(parse_dmarc_record("v=dmarc1; p=reject")); // the version value is exact
    CHECK_FALSE(parse_dmarc_record(""));

    using qm::lists::select_dmarc_record;
    CHECK(select_dmarc_record({"v=spf1 -all", "v=DMARC1; p=reject"}) ==
          DmarcRecord{DmarcPolicy::reject, {}});
    CHECK_FALSE(select_dmarc_record({"v=DMARC1; p=reject", "v=DMARC1; p=none"}));
    CHECK_FALSE(select_dmarc_record({}));
}

TEST_CASE("the organizational domain by the Public Suffix List", "[lists][dmarc]") {
    using qm::lists::organizational_domain;
    CHECK(organizational_domain("example.com") == "example.com");
    CHECK(organizational_domain("mail.lists.Example.COM.") == "example.com");
    CHECK(organizational_domain("mail.example.co.uk") == "example.co.uk");
    CHECK(organizational_domain("example.co.uk") == "example.co.uk");
    CHECK(organizational_domain("www.example.com.au") == "example.com.au");
    CHECK(organizational_domain("a.b.example.de") == "example.de");
    CHECK(organizational_domain("co.uk") == "co.uk");
    CHECK(organizational_domain("localhost") == "localhost");
    // Where the old two-or-three-labels guess went wrong: suffixes the list knows.
    CHECK(organizational_domain("ann.github.io") == "ann.github.io");
    CHECK(organizational_domain("lists.example.k12.ca.us") == "example.k12.ca.us");
    CHECK(organizational_domain("mail.example.co.jp") == "example.co.jp");
}

TEST_CASE("the policy: the domain's own record, else the organizational domain's sp= or p=",
          "[lists][dmarc]") {
    FakeDns dns;
    dns.txt["_dmarc.strict.example"] = {"v=DMARC1; p=reject"};
    dns.txt["_dmarc.parent.example"] = {"v=DMARC1; p=none; sp=quarantine"};
    dns.txt["_dmarc.own.parent.example"] = {"v=DMARC1; p=none"};
    dns.failing = {"_dmarc.broken.example"};
    auto policy = [&](const std::string& d) {
        return qm::lists::lookup_dmarc_policy(d, dns.lookup());
    };
    CHECK(policy("strict.example") == DmarcPolicy::reject);
    CHECK(policy("STRICT.example") == DmarcPolicy::reject);
    CHECK(policy("mail.strict.example") == DmarcPolicy::reject); // p= without sp=
    CHECK(policy("mail.parent.example") == DmarcPolicy::quarantine);
    CHECK(policy("parent.example") == DmarcPolicy::none);
    CHECK(policy("own.parent.example") == DmarcPolicy::none);
    CHECK(policy("plain.example") == DmarcPolicy::none);
    auto broken = policy("broken.example");
    REQUIRE_FALSE(broken);
    CHECK_FALSE(broken.error().permanent());
}

TEST_CASE("From rewriting: quoted display names with quotes, the poster to Reply-To",
          "[lists][dmarc]") {
    auto out = munge_from("Subject: hi\n"
                          "From: \"Dave \\\"the Rave\\\" Smith\" <dave@strict.example>\n"
                          "To: team@lists.example\n"
                          "\n"
                          "body\n",
                          team());
    REQUIRE(out);
    CHECK(*out == "Subject: hi\n"
                  "From: \"Dave \\\"the Rave\\\" Smith via team\" <team@lists.example>\n"
                  "Reply-To: \"Dave \\\"the Rave\\\" Smith\" <dave@strict.example>\n"
                  "To: team@lists.example\n"
                  "\n"
                  "body\n");
    // Without a display name the address itself names the poster; a comment counts as one.
    CHECK(header_of(*munge_from("From: dave@strict.example\n\nx\n", team())) ==
          "From: \"dave@strict.example via team\" <team@lists.example>\n"
          "Reply-To: dave@strict.example\n");
    CHECK(header_of(*munge_from("From: dave@strict.example (Dave S.)\n\nx\n", team())) ==
          "From: \"Dave S. via team\" <team@lists.example>\n"
          "Reply-To: dave@strict.example (Dave S.)\n");
}

TEST_CASE("From rewriting: encoded words stay atoms outside the quotes", "[lists][dmarc]") {
    auto out =
        munge_from("From: =?UTF-8?Q?J=C3=B6rg?= Meyer <joerg@strict.example>\n\nx\n", team());
    REQUIRE(out);
    CHECK(header_of(*out) == "From: =?UTF-8?Q?J=C3=B6rg?= Meyer via team <team@lists.example>\n"
                             "Reply-To: =?UTF-8?Q?J=C3=B6rg?= Meyer <joerg@strict.example>\n");
}

TEST_CASE("From rewriting: groups, an existing Reply-To, no From", "[lists][dmarc]") {
    // A group's name names the posters; all of them go to Reply-To as written.
    auto group = munge_from("From: Board: ann@strict.example, bob@other.example;\n\nx\n", team());
    REQUIRE(group);
    CHECK(header_of(*group) == "From: \"Board via team\" <team@lists.example>\n"
                               "Reply-To: Board: ann@strict.example, bob@other.example;\n");
    CHECK(from_domains("From: Board: ann@strict.example, bob@Other.example;\n\n") ==
          std::vector<std::string>{"strict.example", "other.example"});

    // The post's own Reply-To stays; the poster goes to Cc, a new one or the existing one.
    auto kept = munge_from("From: Dave <dave@strict.example>\n"
                           "Reply-To: elsewhere@x.example\n\nx\n",
                           team());
    REQUIRE(kept);
    CHECK(header_of(*kept) == "From: \"Dave via team\" <team@lists.example>\n"
                              "Cc: Dave <dave@strict.example>\n"
                              "Reply-To: elsewhere@x.example\n");
    auto cc = munge_from("From: Dave <dave@strict.example>\n"
                         "Cc: carol@x.example\n"
                         "Reply-To: elsewhere@x.example\n\nx\n",
                         team());
    REQUIRE(cc);
    CHECK(header_of(*cc) == "From: \"Dave via team\" <team@lists.example>\n"
                            "Cc: carol@x.example,\n Dave <dave@strict.example>\n"
                            "Reply-To: elsewhere@x.example\n");
    // Already in Reply-To: nothing added.
    auto self = munge_from("From: Dave <dave@strict.example>\n"
                           "Reply-To: DAVE@strict.example\n\nx\n",
                           team());
    REQUIRE(self);
    CHECK(header_of(*self) == "From: \"Dave via team\" <team@lists.example>\n"
                              "Reply-To: DAVE@strict.example\n");

    CHECK_FALSE(munge_from("Subject: no from\n\nx\n", team()));
    CHECK_FALSE(munge_from("From: undisclosed:;\n\nx\n", team()));
    CHECK_FALSE(munge_from("From: \"unterminated <a@strict.example>\n\nx\n", team()));
    CHECK(from_domains("Subject: no from\n\nx\n").empty());
}

TEST_CASE("From rewriting changes From alone: odd header lines and the body stay as they are",
          "[lists][dmarc]") {
    // A line that is no field, an mbox "From " line, CRLF and a body without a final
    // newline: the rewritten post reads the same header as the one that came in.
    const std::string rest = "From joe@far.example Mon Jan  1 00:00:00 2024\n"
                             "no colon on this line\n"
                             "Subject: odd\r\n"
                             "\r\n"
                             "body\r\nlast line";
    auto out = munge_from("From: dave@strict.example\n" + rest, team());
    REQUIRE(out);
    CHECK(*out == "From: \"dave@strict.example via team\" <team@lists.example>\n"
                  "Reply-To: dave@strict.example\n" +
                      rest);
}

TEST_CASE("dir/dmarc: auto, always, never - rewritefrom forces it - anything else waits",
          "[lists][dmarc]") {
    qmtest::TempDir dir;
    CHECK(qm::lists::read_dmarc_mode(dir.path()) == DmarcMode::automatic);
    qmtest::spit(dir / "rewritefrom", "");
    CHECK(qm::lists::read_dmarc_mode(dir.path()) == DmarcMode::always);
    qmtest::spit(dir / "dmarc", "never\n");
    CHECK(qm::lists::read_dmarc_mode(dir.path()) == DmarcMode::never);
    qmtest::spit(dir / "dmarc", "Always\n");
    CHECK(qm::lists::read_dmarc_mode(dir.path()) == DmarcMode::always);
    qmtest::spit(dir / "dmarc", "sometimes\n");
    auto bad = qm::lists::read_dmarc_mode(dir.path());
    REQUIRE_FALSE(bad);
    CHECK_FALSE(bad.error().permanent());
    CHECK(bad.error().text.find("auto, always or never") != std::string::npos);
}

TEST_CASE("apply_dmarc: rewrites for reject and quarantine, caches answers and failures",
          "[lists][dmarc]") {
    qmtest::TempDir dir;
    FakeDns dns;
    dns.txt["_dmarc.strict.example"] = {"v=DMARC1; p=reject"};
    dns.txt["_dmarc.careful.example"] = {"v=DMARC1; p=quarantine"};
    dns.txt["_dmarc.relaxed.example"] = {"v=DMARC1; p=none"};
    dns.failing = {"_dmarc.broken.example"};
    ::setenv("QM_LISTS_NOW", "1700000000", 1);
    auto apply = [&](const std::string& from) {
        auto r = qm::lists::apply_dmarc(
            dir.path(), team(), qm::lists::ParsedPost("From: " + from + "\nSubject: s\n\nbody\n"),
            dns.lookup());
        REQUIRE(r);
        return header_of(r->text());
    };
    CHECK(apply("a@strict.example") == "From: \"a@strict.example via team\" <team@lists.example>\n"
                                       "Reply-To: a@strict.example\nSubject: s\n");
    CHECK(apply("b@careful.example").starts_with("From: \"b@careful.example via team\""));
    CHECK(apply("c@relaxed.example") == "From: c@relaxed.example\nSubject: s\n");
    // A lookup that fails counts as reject: a rewritten From never gets a post rejected.
    CHECK(apply("d@broken.example").starts_with("From: \"d@broken.example via team\""));
    CHECK(qmtest::slurp(dir / "dmarccache") == "broken.example unknown 1700000300\n"
                                               "careful.example quarantine 1700003600\n"
                                               "relaxed.example none 1700003600\n"
                                               "strict.example reject 1700003600\n");
    const auto asked = dns.asked.size();
    apply("e@strict.example");
    apply("f@broken.example");
    CHECK(dns.asked.size() == asked); // both from the cache

    // The failure is remembered for 5 minutes, the answers for an hour.
    ::setenv("QM_LISTS_NOW", "1700000400", 1);
    dns.failing.clear();
    CHECK(apply("g@broken.example") == "From: g@broken.example\nSubject: s\n");
    CHECK(dns.asked.size() == asked + 1); // _dmarc.broken.example (its own org domain)
    apply("h@strict.example");
    CHECK(dns.asked.size() == asked + 1);

    // never and always, whatever DNS says.
    qmtest::spit(dir / "dmarc", "never\n");
    CHECK(apply("a@strict.example") == "From: a@strict.example\nSubject: s\n");
    qmtest::spit(dir / "dmarc", "always\n");
    CHECK(apply("c@relaxed.example").starts_with("From: \"c@relaxed.example via team\""));
    ::unsetenv("QM_LISTS_NOW");
}

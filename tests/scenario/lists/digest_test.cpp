// Digests end to end: a digested list (ezmlm-make -d) sends its posts to the normal
// subscribers one by one and, when dir/digcount posts have gathered or dir/digtime hours
// have passed, one MIME digest to the subscribers of dir/digest; list-dig.CODE asks for
// one at once. The list programs' clock is QM_LISTS_NOW, set in qmail-send's environment.
#include "collection.hpp"
#include "list_mta.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <string>

using liststest::ListMta;
using liststest::read_collection;
using liststest::read_rfc1153;

namespace {

constexpr long t0 = 1'700'000'000;

std::map<std::string, std::string> clock_at(long t) {
    return {{"QM_LISTS_NOW", std::to_string(t)}};
}

// alice reads the list, bob its digest.
void make_digested(ListMta& m, long now) {
    m.make({"-d"}, clock_at(now));
    m.subscribe("alice@test.example");
    m.subscribe("bob@test.example", "digest");
}

void post(ListMta& m, int n) {
    m.inject("From: Dave <dave@test.example>\nTo: joe-team@test.example\nSubject: post " +
             std::to_string(n) + "\n\nbody " + std::to_string(n) + "\n");
    REQUIRE(m.wait_messages("alice", static_cast<size_t>(n)));
}

// The editor's ezmlm-get has run for this many posts and found no digest due (qmail-send
// logs each delivery's output).
bool no_digest_logged(const ListMta& m, size_t times) {
    return qmtest::wait_for([&] {
        const std::string log = m.send->log();
        size_t found = 0;
        for (size_t p = log.find("no_digest_due"); p != std::string::npos;
             p = log.find("no_digest_due", p + 1))
            ++found;
        for (size_t p = log.find("no digest due"); p != std::string::npos;
             p = log.find("no digest due", p + 1))
            ++found;
        return found >= times;
    });
}

void check_digest(const std::string& digest, const std::vector<unsigned long>& numbers, int issue) {
    INFO(digest);
    CHECK(digest.starts_with("Return-Path: <joe-team-digest-return-" +
                             std::to_string(numbers.front()) +
                             "-bob=test.example@test.example>\n"));
    CHECK(liststest::has_line(digest, "From: joe-team-digest-help@test.example"));
    CHECK(liststest::has_line(digest, "To: joe-team@test.example"));
    CHECK(digest.find("\nSubject: joe-team Digest ") != std::string::npos);
    CHECK(digest.find(" Issue " + std::to_string(issue) + "\n") != std::string::npos);
    auto c = read_collection(digest);
    CHECK(c.type == "multipart/digest");
    CHECK(c.text.find("Topics (messages " + std::to_string(numbers.front()) + " through " +
                      std::to_string(numbers.back()) + "):") != std::string::npos);
    CHECK(c.text.find("joe-team-digest-unsubscribe@test.example") != std::string::npos);
    CHECK(c.numbers() == numbers);
    for (const auto& p : c.parts) {
        CHECK(p.subject == "post " + std::to_string(p.number));
        CHECK(p.body == "body " + std::to_string(p.number) + "\n");
    }
}

} // namespace

TEST_CASE("after digcount posts the digest subscribers get one digest with all of them",
          "[scenario][lists][digest]") {
    ListMta m;
    make_digested(m, t0);
    qmtest::spit(m.dir + "/digcount", "3\n");
    // ezmlm-sub and ezmlm-list work on the digest database as on any other.
    CHECK(m.root.run({qmtest::bin("ezmlm-list"), m.dir, "digest"}).out == "bob@test.example\n");
    CHECK(m.root.run({qmtest::bin("ezmlm-list"), m.dir}).out == "alice@test.example\n");
    CHECK(qmtest::slurp(m.dir + "/dignum") == "0:0:" + std::to_string(t0) + "\n");

    m.start(clock_at(t0));
    for (int n = 1; n <= 3; ++n)
        post(m, n);
    REQUIRE(m.wait_messages("bob", 1));
    auto digests = m.messages("bob");
    REQUIRE(digests.size() == 1);
    check_digest(digests[0], {1, 2, 3}, 1);
    // The normal subscriber got the three posts one by one, and no digest.
    auto singles = m.messages("alice");
    REQUIRE(singles.size() == 3);
    for (const auto& s : singles)
        CHECK(s.find("multipart/digest") == std::string::npos);
    // ezmlm-idx's state files (written once the digest is queued, so maybe just after
    // it arrived).
    REQUIRE(qmtest::wait_for([&] { return qmtest::slurp(m.dir + "/dignum").starts_with("3:"); }));
    CHECK(qmtest::slurp(m.dir + "/digissue") == "1:0\n");
    CHECK(qmtest::slurp(m.dir + "/dignum").ends_with(":" + std::to_string(t0) + "\n"));

    // The next digest starts after message 3.
    for (int n = 4; n <= 6; ++n)
        post(m, n);
    REQUIRE(m.wait_messages("bob", 2));
    bool second = false;
    for (const auto& d : m.messages("bob"))
        if (d.find(" Issue 2\n") != std::string::npos) {
            check_digest(d, {4, 5, 6}, 2);
            second = true;
        }
    CHECK(second);
}

TEST_CASE("a digest goes out once digtime hours have passed since the last one",
          "[scenario][lists][digest]") {
    ListMta m;
    make_digested(m, t0);
    qmtest::spit(m.dir + "/digtime", "1\n");
    m.start(clock_at(t0 + 60));
    post(m, 1);
    REQUIRE(no_digest_logged(m, 1));
    CHECK(m.messages("bob").empty());

    // Two hours later the next post finds the digest due.
    m.stop();
    m.start(clock_at(t0 + 2 * 3600));
    post(m, 2);
    REQUIRE(m.wait_messages("bob", 1));
    check_digest(m.messages("bob")[0], {1, 2}, 1);
    CHECK(qmtest::wait_for([&] {
        const std::string dignum = qmtest::slurp(m.dir + "/dignum");
        return dignum.starts_with("2:") &&
               dignum.ends_with(":" + std::to_string(t0 + 2 * 3600) + "\n");
    }));
}

TEST_CASE("list-dig.CODE sends a digest at once, a wrong code is refused",
          "[scenario][lists][digest]") {
    ListMta m;
    make_digested(m, t0);
    qmtest::spit(m.dir + "/digestcode", "Open5esame\n");
    m.start(clock_at(t0));
    post(m, 1);
    post(m, 2);
    REQUIRE(no_digest_logged(m, 2));
    const std::string dignum = qmtest::slurp(m.dir + "/dignum");

    m.inject("To: joe-team-dig.guess@test.example\n\n", "carol");
    REQUIRE(m.wait_messages("carol", 1));
    CHECK(m.messages("carol")[0].find("not this list's digest code") != std::string::npos);
    CHECK(qmtest::slurp(m.dir + "/dignum") == dignum);
    CHECK(m.messages("bob").empty());

    // The code is not case-sensitive (ezmlm-get's rule).
    m.inject("To: joe-team-dig.open5esame@test.example\n\n", "carol");
    REQUIRE(m.wait_messages("bob", 1));
    check_digest(m.messages("bob")[0], {1, 2}, 1);
    CHECK(m.messages("carol").size() == 1); // the digest goes to the digest list only
}

TEST_CASE("dir/digformat r makes the periodic digest an RFC 1153 one, list-dig.CODEr too",
          "[scenario][lists][digest][rfc1153]") {
    ListMta m;
    make_digested(m, t0);
    qmtest::spit(m.dir + "/digcount", "3\n");
    qmtest::spit(m.dir + "/digformat", "r\n");
    qmtest::spit(m.dir + "/digestcode", "sesame\n");
    m.start(clock_at(t0));
    post(m, 1);
    // A body line that looks like the separator, and a MIME post with an attachment.
    m.inject("From: Dave <dave@test.example>\nTo: joe-team@test.example\nSubject: post 2\n\n"
             "above\n------------------------------\nbelow\n");
    REQUIRE(m.wait_messages("alice", 2));
    m.inject("From: Dave <dave@test.example>\nTo: joe-team@test.example\nSubject: post 3\n"
             "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XX\"\n\n"
             "--XX\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: "
             "quoted-printable\n\ncaf=C3=A9\n--XX\nContent-Type: application/pdf; "
             "name=\"plan.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--XX--\n");
    REQUIRE(m.wait_messages("bob", 1));
    const std::string digest = m.messages("bob")[0];
    INFO(digest);
    CHECK(digest.starts_with("Return-Path: <joe-team-digest-return-1-bob=test.example@"));
    CHECK(liststest::has_line(digest, "Content-Transfer-Encoding: 8bit"));
    auto d = read_rfc1153(digest);
    CHECK(d.type == "text/plain");
    CHECK(d.charset == "utf-8");
    CHECK(d.preamble.find("joe-team-digest-unsubscribe@test.example") != std::string::npos);
    REQUIRE(d.messages.size() == 3);
    CHECK(d.messages[0].body == "body 1\n");
    // Stuffed in the digest, itself again once read.
    CHECK(digest.find("\n- ------------------------------\n") != std::string::npos);
    CHECK(d.messages[1].body == "above\n------------------------------\nbelow\n");
    CHECK(d.messages[2].field("Subject") == "post 3");
    CHECK(d.messages[2].body == "caf\xC3\xA9\n\n[application/pdf part \"plan.pdf\" left out: "
                                "this digest shows text/plain parts only]\n");
    CHECK(d.trailer == "End of joe-team Digest Issue 1\n" + std::string(30, '*') + "\n");

    // list-dig.CODEr: an RFC 1153 digest at once, whatever dir/digformat says.
    qmtest::spit(m.dir + "/digformat", "m\n");
    post(m, 4);
    REQUIRE(no_digest_logged(m, 1));
    m.inject("To: joe-team-dig.sesamer@test.example\n\n", "carol");
    REQUIRE(m.wait_messages("bob", 2));
    bool second = false;
    for (const auto& text : m.messages("bob"))
        if (text.find(" Issue 2\n") != std::string::npos) {
            auto two = read_rfc1153(text);
            REQUIRE(two.messages.size() == 1);
            CHECK(two.messages[0].body == "body 4\n");
            CHECK(two.trailer.starts_with("End of joe-team Digest Issue 2\n"));
            second = true;
        }
    CHECK(second);
}

// Archive retrieval by mail end to end: posts go through qmail-send into an indexed,
// archived list; requests to joe-team-get.N_M, -index and -thread reach ezmlm-get from
// the list's manager file, and the answers arrive in the requester's maildir, where they
// are read with an independent MIME parser.
#include "collection.hpp"
#include "list_mta.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <tuple>

using liststest::ListMta;
using liststest::read_collection;
using liststest::read_rfc1153;

namespace {

struct Post {
    const char* user; // who sends it
    const char* from; // the From: field
    const char* subject;
};

const Post posts[] = {
    {"dave", "Dave Poster <dave@test.example>", "alpha news"},
    {"carol", "Carol Reader <carol@test.example>", "Re: alpha news"},
    {"dave", "Dave Poster <dave@test.example>", "beta plans"},
    {"carol", "\"Reader, Carol\" <carol@test.example>", "RE: Re: alpha news"},
    {"alice", "alice@test.example", "gamma"},
};

// A list with alice subscribed and the five posts above archived as 1..5.
void post_five(ListMta& m) {
    for (size_t i = 0; i < std::size(posts); ++i) {
        m.inject(std::string("From: ") + posts[i].from + "\nTo: joe-team@test.example\nSubject: " +
                     posts[i].subject + "\n\nbody of message " + std::to_string(i + 1) + "\n",
                 posts[i].user);
        // One at a time, so the numbers follow the order above.
        REQUIRE(m.wait_messages("alice", i + 1));
    }
}

// An indexed list with alice subscribed, running, with the five posts archived.
void start_indexed_with_five(ListMta& m) {
    m.make(); // -a (the default) indexes, as in ezmlm-idx 7
    m.subscribe("alice@test.example");
    m.start();
    post_five(m);
}

// The answer to a request mailed to joe-team-<extension> by user (the one new message
// in the user's maildir).
std::string request(ListMta& m, const std::string& extension, const std::string& user = "bob") {
    const std::string box = m.root / ("users/" + user + "/Maildir/new");
    const auto before = qmtest::list_dir(box);
    m.inject("To: joe-team-" + extension + "@test.example\nSubject: please\n\n", user);
    REQUIRE(m.wait_messages(user, before.size() + 1));
    for (const auto& name : qmtest::list_dir(box))
        if (std::find(before.begin(), before.end(), name) == before.end())
            return qmtest::slurp(box + "/" + name);
    FAIL("no new message");
    return {};
}

} // namespace

TEST_CASE("list-get.2_4 returns one MIME digest of messages 2, 3 and 4", "[scenario][lists][get]") {
    ListMta m;
    start_indexed_with_five(m);

    // ezmlm-send kept the index in ezmlm-idx's format.
    const std::string index = qmtest::slurp(m.dir + "/archive/0/index");
    INFO(index);
    CHECK(index.starts_with("1: "));
    CHECK(index.find("\n2: " + index.substr(3, 20) + " Re: alpha news\n") != std::string::npos);
    CHECK(index.find(" Carol Reader\n") != std::string::npos);
    CHECK(index.find(" Reader, Carol\n") != std::string::npos);

    auto reply = request(m, "get.2_4");
    INFO(reply);
    CHECK(reply.starts_with("Return-Path: <joe-team-return-@test.example>\n"));
    CHECK(liststest::has_line(reply, "From: joe-team-help@test.example"));
    CHECK(liststest::has_line(reply, "To: bob@test.example"));
    auto c = read_collection(reply);
    CHECK(c.type == "multipart/digest");
    CHECK(c.text.find("Topics (messages 2 through 4):") != std::string::npos);
    auto numbers = c.numbers();
    std::sort(numbers.begin(), numbers.end());
    CHECK(numbers == std::vector<unsigned long>{2, 3, 4});
    for (const auto& p : c.parts) {
        INFO(p.number);
        CHECK_FALSE(p.missing);
        CHECK(p.body == "body of message " + std::to_string(p.number) + "\n");
        CHECK(p.subject == posts[p.number - 1].subject);
    }
    // Threaded: 4 follows 2 (same subject), before 3.
    CHECK(c.numbers() == std::vector<unsigned long>{2, 4, 3});
}

TEST_CASE("list-getr.1_3 returns one plain-text RFC 1153 digest of messages 1, 2 and 3",
          "[scenario][lists][get][rfc1153]") {
    ListMta m;
    start_indexed_with_five(m);

    auto reply = request(m, "getr.1_3");
    INFO(reply);
    CHECK(liststest::has_line(reply, "To: bob@test.example"));
    CHECK(liststest::has_line(reply, "Subject: joe-team archive: getr.1_3"));
    CHECK(reply.find("multipart") == std::string::npos);
    auto d = read_rfc1153(reply);
    CHECK(d.type == "text/plain");
    CHECK(d.charset == "us-ascii");
    CHECK(d.preamble.find("Topics (messages 1 through 3):") != std::string::npos);
    CHECK(d.preamble.find("\t3 by: Dave Poster\n") != std::string::npos);
    REQUIRE(d.messages.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
        INFO(i);
        const auto& msg = d.messages[i];
        CHECK(msg.field("Subject") == posts[i].subject);
        CHECK(msg.field("From") == posts[i].from);
        CHECK(msg.field("To") == "joe-team@test.example");
        CHECK_FALSE(msg.field("Date").empty());
        CHECK_FALSE(msg.field("Message-ID").empty());
        CHECK(msg.body == "body of message " + std::to_string(i + 1) + "\n");
        // Only the fields RFC 1153 keeps: no Received, Mailing-List, Delivered-To.
        for (const auto& f : msg.fields) {
            INFO(f);
            CHECK((f.starts_with("Date: ") || f.starts_with("From: ") || f.starts_with("To: ") ||
                   f.starts_with("Subject: ") || f.starts_with("Message-ID: ")));
        }
    }
    CHECK(d.trailer == "End of joe-team Digest\n" + std::string(22, '*') + "\n");

    // A thread in the same format.
    auto thread = read_rfc1153(request(m, "threadr.2"));
    REQUIRE(thread.messages.size() == 3);
    CHECK(thread.messages[0].body == "body of message 1\n");
    CHECK(thread.messages[1].body == "body of message 2\n");
    CHECK(thread.messages[2].body == "body of message 4\n");
}

TEST_CASE("list-index lists every message with subject and author, list-thread.N finds "
          "the replies",
          "[scenario][lists][get]") {
    ListMta m;
    start_indexed_with_five(m);

    auto index = request(m, "index");
    INFO(index);
    CHECK(liststest::has_line(index, "Content-Type: text/plain; charset=us-ascii"));
    const std::string day_and = "\t"; // "\t<day month year> <author>"
    for (auto [n, subject, author] :
         {std::tuple<int, const char*, const char*>{1, "alpha news", "Dave Poster"},
          {2, "Re: alpha news", "Carol Reader"},
          {3, "beta plans", "Dave Poster"},
          {4, "Re: alpha news", "Reader, Carol"},
          {5, "gamma", "alice.test.example"}}) {
        INFO(n);
        const std::string entry = "\n" + std::to_string(n) + ": " + subject + "\n" + day_and;
        auto at = index.find(entry);
        REQUIRE(at != std::string::npos);
        const std::string second = index.substr(
            at + entry.size(), index.find('\n', at + entry.size()) - at - entry.size());
        CHECK(second.ends_with(std::string(" ") + author));
    }

    auto thread = read_collection(request(m, "thread.1"));
    CHECK(thread.numbers() == std::vector<unsigned long>{1, 2, 4});
    for (const auto& p : thread.parts)
        CHECK(p.body == "body of message " + std::to_string(p.number) + "\n");
    // Any message of the thread finds the same thread.
    CHECK(read_collection(request(m, "thread.4")).numbers() == std::vector<unsigned long>{1, 2, 4});

    // v: whole messages as archived, list header fields and all.
    auto virgin = read_collection(request(m, "getv.5"));
    REQUIRE(virgin.numbers() == std::vector<unsigned long>{5});
    CHECK(virgin.parts[0].subject == "gamma");
}

TEST_CASE("a message missing from the archive is answered with get-bad", "[scenario][lists][get]") {
    ListMta m;
    start_indexed_with_five(m);
    // Removed by the owner (and 4 not yet complete: no owner-exec bit).
    std::filesystem::remove(m.dir + "/archive/0/03");
    REQUIRE(::chmod((m.dir + "/archive/0/04").c_str(), 0644) == 0);

    auto c = read_collection(request(m, "get.2_4"));
    std::sort(c.parts.begin(), c.parts.end(),
              [](const auto& a, const auto& b) { return a.number < b.number; });
    REQUIRE(c.numbers() == std::vector<unsigned long>{2, 3, 4});
    CHECK_FALSE(c.parts[0].missing);
    for (size_t i : {1, 2}) {
        CHECK(c.parts[i].missing);
        CHECK(c.parts[i].body.find("Sorry, that message is not in the archive.") !=
              std::string::npos);
    }
    // A thread of a message beyond the archive: a plain get-bad answer.
    auto bad = request(m, "thread.99");
    CHECK(liststest::has_line(bad, "Content-Type: text/plain; charset=us-ascii"));
    CHECK(bad.find("Sorry, that message is not in the archive.") != std::string::npos);
    // An unknown format is refused with the reason.
    auto refused = request(m, "getq.2");
    CHECK(refused.find("there is no archive format 'q'") != std::string::npos);
}

TEST_CASE("subgetonly keeps the archive from strangers", "[scenario][lists][get]") {
    ListMta m;
    m.make({"-g"}); // -a (the default) indexes, as in ezmlm-idx 7
    m.subscribe("alice@test.example");
    m.start();
    post_five(m);
    auto refused = request(m, "get.1", "bob");
    CHECK(refused.find("only subscribers may get messages from the archive") != std::string::npos);
    // A subscriber gets it.
    auto c = read_collection(request(m, "get.1", "alice"));
    CHECK(c.numbers() == std::vector<unsigned long>{1});
}

TEST_CASE("ezmlm-get passes other commands on and refuses bounces", "[scenario][lists][get]") {
    ListMta m;
    m.make(); // -a (the default) indexes, as in ezmlm-idx 7
    auto run = [&](const std::string& def, const std::string& sender) {
        return m.root.run(
            {qmtest::bin("ezmlm-get"), m.dir},
            {.stdin_data = "Subject: x\n\n",
             .env = {{"LOCAL", "joe-team-" + def}, {"DEFAULT", def}, {"SENDER", sender}}});
    };
    CHECK(run("subscribe", "bob@test.example").exit_code == 0);
    CHECK(run("digest-subscribe", "bob@test.example").exit_code == 0);
    auto bounce = run("get.1", "");
    CHECK(bounce.exit_code == 100);
    CHECK(bounce.err.find("bounce") != std::string::npos);
    auto empty = run("get.1", "bob@test.example");
    CHECK(empty.exit_code == 100);
    CHECK(empty.err.find("archive of this list is empty") != std::string::npos);
    // Without an index there is no index to send: an archived list without indexed, as
    // ezmlm 0.53 made them.
    ListMta plain;
    plain.make();
    std::filesystem::remove(plain.dir + "/indexed");
    auto noindex = plain.root.run({qmtest::bin("ezmlm-get"), plain.dir},
                                  {.stdin_data = "\n",
                                   .env = {{"LOCAL", "joe-team-index"},
                                           {"DEFAULT", "index"},
                                           {"SENDER", "bob@test.example"}}});
    CHECK(noindex.exit_code == 100);
    CHECK(noindex.err.find("no subject index") != std::string::npos);
}

// ezmlm-get's request syntax and ranges (ezmlm-get(1)): what list-get.N_M and friends ask
// for, and how the numbers are clamped to the archive.
#include "qm/lists/archive/digest.hpp"
#include "qm/lists/archive/get.hpp"
#include "qm/lists/archive/rfc1153.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace qm::lists;

TEST_CASE("archive requests parse as ezmlm-get reads them", "[lists][get]") {
    auto get = parse_request("get.2_4", std::nullopt);
    REQUIRE(get.has_value());
    CHECK(get->kind == RequestKind::get);
    CHECK(get->first == 2);
    CHECK(get->second == 4);
    CHECK_FALSE(get->format);
    // '-' or nothing instead of '.', any separator between the numbers, any case.
    for (const char* a : {"get-2-4", "get2.4", "GET.2_4", "get.2x4"}) {
        INFO(a);
        auto r = parse_request(a, std::nullopt);
        REQUIRE(r.has_value());
        CHECK(r->kind == RequestKind::get);
        CHECK(r->first == 2);
        CHECK(r->second == 4);
    }
    auto virgin = parse_request("getv.7", std::nullopt);
    REQUIRE(virgin.has_value());
    CHECK(virgin->format == CollectionFormat::virgin);
    CHECK(virgin->first == 7);
    CHECK(virgin->second == 0);
    CHECK(parse_request("getn.7", std::nullopt)->format == CollectionFormat::native);
    CHECK(parse_request("getx", std::nullopt)->format == CollectionFormat::mixed);
    CHECK(parse_request("index", std::nullopt)->kind == RequestKind::index);
    CHECK(parse_request("index.100_299", std::nullopt)->second == 299);
    CHECK(parse_request("thread.12", std::nullopt)->kind == RequestKind::thread);
    CHECK(parse_request("digest", std::nullopt)->kind == RequestKind::get);
    // Not for ezmlm-get.
    for (const char* a : {"subscribe", "digest-subscribe", "help", "sc.1.abc-joe=x", "dig", ""})
        CHECK(parse_request(a, std::nullopt)->kind == RequestKind::none);
}

TEST_CASE("unknown formats and wrong digest codes are refused permanently", "[lists][get]") {
    auto r = parse_request("getr.5", std::nullopt);
    REQUIRE(r.has_value());
    CHECK(r->format == CollectionFormat::rfc1153);
    CHECK(r->first == 5);
    CHECK(parse_request("threadr.3", std::nullopt)->format == CollectionFormat::rfc1153);
    CHECK(parse_request("dig.secretr", std::string_view("secret"))->format ==
          CollectionFormat::rfc1153);
    auto q = parse_request("getq.5", std::nullopt);
    REQUIRE_FALSE(q.has_value());
    CHECK(q.error().permanent());
    CHECK(q.error().text.find("no archive format 'q'") != std::string::npos);
    CHECK(q.error().text.find("r (plain text, RFC 1153)") != std::string::npos);
    // The index has one format and ignores r, as ezmlm-get does.
    CHECK(parse_request("indexr", std::nullopt).has_value());

    auto dig = parse_request("dig.Secret", std::string_view("secret"));
    REQUIRE(dig.has_value());
    CHECK(dig->kind == RequestKind::digest);
    CHECK(parse_request("dig-secretv", std::string_view("secret"))->format ==
          CollectionFormat::virgin);
    auto wrong = parse_request("dig.guess", std::string_view("secret"));
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.error().permanent());
    CHECK(wrong.error().text == "that is not this list's digest code");
    CHECK_FALSE(parse_request("dig.secret", std::nullopt).has_value());
    CHECK_FALSE(parse_request("dig.secretless", std::string_view("secret")).has_value());
}

TEST_CASE("get ranges are clamped like ezmlm-get's", "[lists][get]") {
    auto r = [](unsigned long a, unsigned long b, unsigned long max, unsigned long dig) {
        auto m = get_range(a, b, max, dig);
        return std::pair(m.from, m.to);
    };
    CHECK(r(2, 4, 5, 0) == std::pair(2UL, 4UL));
    CHECK(r(4, 2, 5, 0) == std::pair(4UL, 4UL));        // get.4_2: just 4
    CHECK(r(5, 0, 9, 0) == std::pair(5UL, 5UL));        // get.5: just 5
    CHECK(r(3, 900, 50, 0) == std::pair(3UL, 50UL));    // not beyond the archive
    CHECK(r(1, 500, 1000, 0) == std::pair(1UL, 100UL)); // at most 100
    CHECK(r(0, 0, 5, 0) == std::pair(1UL, 5UL));        // default: the last 30
    CHECK(r(0, 0, 100, 0) == std::pair(70UL, 100UL));
    CHECK(r(0, 0, 100, 90) == std::pair(90UL, 100UL)); // since the last digest
    CHECK(r(0, 0, 500, 200) == std::pair(401UL, 500UL));
    CHECK(r(999, 0, 50, 0) == std::pair(50UL, 50UL));  // beyond: the last one
    CHECK(r(999, 1, 50, 40) == std::pair(10UL, 50UL)); // get.999_x: 30 before the digest on
}

TEST_CASE("index requests cover blocks of a hundred", "[lists][get]") {
    auto b = [](unsigned long a, unsigned long c, unsigned long max) {
        auto m = index_blocks(a, c, max);
        return std::pair(m.from, m.to);
    };
    CHECK(b(0, 0, 5) == std::pair(0UL, 0UL));
    CHECK(b(0, 0, 250) == std::pair(1UL, 2UL)); // the last 100-200 entries
    CHECK(b(150, 0, 250) == std::pair(1UL, 1UL));
    CHECK(b(1, 99999, 99999) == std::pair(0UL, 20UL)); // at most 2000 entries
}

TEST_CASE("a digest is due by count, size or time", "[lists][digest]") {
    DigestThresholds t; // 30 posts, 64 KB, 48 hours
    DigestState s{10, 100, 1'000'000};
    Num num{.last = 11, .kbytes = 101};
    CHECK_FALSE(digest_due(t, s, num, 1'000'000 + 3600));
    CHECK(digest_due(t, s, num, 1'000'000 + 48 * 3600));
    num.last = 40;
    CHECK(digest_due(t, s, num, 1'000'000));
    num.last = 11;
    num.kbytes = 100 + 64 * 4;
    CHECK(digest_due(t, s, num, 1'000'000));
    // Nothing undigested: never due.
    num.last = 10;
    CHECK_FALSE(digest_due(t, s, num, 2'000'000));
    // 0 switches a criterion off.
    DigestThresholds off{0, 0, 0};
    num = Num{.last = 1000, .kbytes = 100000};
    CHECK_FALSE(digest_due(off, s, num, 9'000'000));
}

TEST_CASE("RFC 1153 keeps Date, From, To, Cc, Subject, Message-ID, Keywords, Summary in that "
          "order and stuffs lines starting with a hyphen",
          "[lists][get][rfc1153]") {
    const std::string msg = "Received: from relay.example by lists.example\n"
                            "Subject: the plan\n"
                            "X-Mailer: something\n"
                            "Message-ID: <1@far.example>\n"
                            "Cc: carol@far.example,\n"
                            "    dave@far.example\n"
                            "From: Ann <ann@far.example>\n"
                            "Keywords: plans\n"
                            "Summary: short\n"
                            "Reply-To: elsewhere@far.example\n"
                            "To: team@lists.example\n"
                            "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
                            "\n"
                            "\n"
                            "First line.\n"
                            "------------------------------\n"
                            "-- \n"
                            "Ann\n"
                            "\n"
                            "\n";
    CHECK(rfc1153_message(msg) == "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
                                  "From: Ann <ann@far.example>\n"
                                  "To: team@lists.example\n"
                                  "Cc: carol@far.example,\n"
                                  "    dave@far.example\n"
                                  "Subject: the plan\n"
                                  "Message-ID: <1@far.example>\n"
                                  "Keywords: plans\n"
                                  "Summary: short\n"
                                  "\n"
                                  "First line.\n"
                                  "- ------------------------------\n"
                                  "- -- \n"
                                  "Ann\n");
    CHECK(stuff_hyphen_lines("-a\nb-\n\n--\n-") == "- -a\nb-\n\n- --\n- -");
    CHECK(rfc1153_trailer("team", 7) == "End of team Digest Issue 7\n"
                                        "**************************\n");
    CHECK(rfc1153_trailer("team", std::nullopt) == "End of team Digest\n"
                                                   "******************\n");
}

TEST_CASE("RFC 1153 shows the text/plain parts of a MIME message, decoded to UTF-8, and notes "
          "the others",
          "[lists][get][rfc1153]") {
    const std::string msg = "From: ann@far.example\n"
                            "Subject: photo\n"
                            "MIME-Version: 1.0\n"
                            "Content-Type: multipart/mixed; boundary=\"b1\"\n"
                            "\n"
                            "preamble\n"
                            "--b1\n"
                            "Content-Type: multipart/alternative; boundary=b2\n"
                            "\n"
                            "--b2\n"
                            "Content-Type: text/plain; charset=iso-8859-1\n"
                            "Content-Transfer-Encoding: quoted-printable\n"
                            "\n"
                            "Caf=E9 at noon=\n"
                            "?\n"
                            "--b2\n"
                            "Content-Type: text/html; charset=utf-8\n"
                            "\n"
                            "<p>Caf\xC3\xA9</p>\n"
                            "--b2--\n"
                            "--b1\n"
                            "Content-Type: image/png; name=\"cup.png\"\n"
                            "Content-Transfer-Encoding: base64\n"
                            "\n"
                            "iVBORw0KGgo=\n"
                            "--b1\n"
                            "Content-Type: text/plain\n"
                            "Content-Transfer-Encoding: base64\n"
                            "\n"
                            "LS0gCkFubg0K\n" // "-- \nAnn\r\n"
                            "--b1--\n"
                            "epilogue\n";
    CHECK(rfc1153_message(msg) ==
          "From: ann@far.example\n"
          "Subject: photo\n"
          "\n"
          "Caf\xC3\xA9 at noon?\n"
          "\n"
          "[text/html part left out: this digest shows text/plain parts only]\n"
          "\n"
          "[image/png part \"cup.png\" left out: this digest shows text/plain parts only]\n"
          "\n"
          "- -- \n"
          "Ann\n");

    // Bytes that are not UTF-8 in a part that says UTF-8 (or nothing) become U+FFFD; a
    // charset iconv does not know keeps only its ASCII.
    CHECK(rfc1153_message("Subject: x\n\nna\xEFve\n") == "Subject: x\n\nna\xEF\xBF\xBDve\n");
    CHECK(rfc1153_message("Content-Type: text/plain; charset=x-martian\n\nna\xEFve\n") ==
          "\n[text in the unknown charset \"x-martian\": other than ASCII shown as ?]\n"
          "na?ve\n");
    CHECK(to_utf8("\xE9", "ISO-8859-1") == std::optional<std::string>("\xC3\xA9"));
    CHECK_FALSE(to_utf8("x", "../../etc/passwd"));
    // Broken MIME: the body as it is, after a note.
    const std::string broken = rfc1153_message(
        "Content-Type: multipart/mixed; boundary=zz\n\n--yy\nContent-Type: text/plain\n\nhi\n");
    CHECK(broken.starts_with("\n[the MIME structure of this message is broken"));
    CHECK(broken.ends_with("\n- --yy\nContent-Type: text/plain\n\nhi\n"));
}

namespace {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

CollectedMessage collected(unsigned long n, std::optional<std::string> text, std::string subject,
                           std::string author) {
    CollectedMessage m;
    m.number = n;
    m.text = std::move(text);
    m.entry.number = n;
    m.entry.subject_hash = std::to_string(n);
    m.entry.subject = std::move(subject);
    m.entry.author = std::move(author);
    return m;
}

} // namespace

TEST_CASE("the r format is one text/plain RFC 1153 digest: preamble, separators, trailer",
          "[lists][get][rfc1153]") {
    qmtest::TempDir tmp;
    const std::string dir = tmp.path() + "/l";
    std::filesystem::create_directories(dir + "/text");
    write_file(dir + "/text/get-bad", "Sorry, gone.\n");
    const ListInfo list{dir, "team", "lists.example"};
    const std::vector<CollectedMessage> msgs = {
        collected(4,
                  "Received: from x\nFrom: ann@far.example\nSubject: one\n\nbody one\n"
                  "------------------------------\nend\n",
                  "one", "ann"),
        collected(5, std::nullopt, "", ""),
        collected(6, "From: bob@far.example\nSubject: two\nX-Junk: y\n\nbody two\n", "two", "bob"),
    };
    CollectionOptions o;
    o.format = CollectionFormat::rfc1153;
    o.heading = "team Digest Issue 9";
    o.topics = MessageRange{4, 6};
    o.thread_order = false;
    o.administrivia = "Unsubscribe: team-digest-unsubscribe@lists.example\n";
    o.issue = 9;
    auto c = format_collection(list, msgs, o);
    REQUIRE(c.has_value());
    CHECK(c->content_type == "text/plain; charset=us-ascii");
    const std::string sep = "------------------------------";
    CHECK(c->body == "team Digest Issue 9\n"
                     "\n"
                     "Topics (messages 4 through 6):\n"
                     "\n"
                     "one\n"
                     "\t4 by: ann\n"
                     "\n"
                     "(no subject)\n"
                     "\t5 by: \n"
                     "\n"
                     "two\n"
                     "\t6 by: bob\n"
                     "\n"
                     "Administrivia:\n"
                     "\n"
                     "Unsubscribe: team-digest-unsubscribe@lists.example\n"
                     "\n" +
                         std::string(70, '-') +
                         "\n"
                         "\n"
                         "From: ann@far.example\n"
                         "Subject: one\n"
                         "\n"
                         "body one\n"
                         "- " +
                         sep +
                         "\n"
                         "end\n"
                         "\n" +
                         sep +
                         "\n"
                         "\n"
                         "From: team@lists.example\n"
                         "Subject: message 5 is not in the archive\n"
                         "\n"
                         "Sorry, gone.\n"
                         "\n" +
                         sep +
                         "\n"
                         "\n"
                         "From: bob@far.example\n"
                         "Subject: two\n"
                         "\n"
                         "body two\n"
                         "\n" +
                         sep +
                         "\n"
                         "\n"
                         "End of team Digest Issue 9\n"
                         "**************************\n");

    // Non-ASCII anywhere: all of it is UTF-8 and the digest says so; the administrative
    // text is converted from dir/charset.
    o.charset = "iso-8859-1";
    o.administrivia = "Adi\xF3s\n";
    auto latin = format_collection(list, {msgs[0]}, o);
    REQUIRE(latin.has_value());
    CHECK(latin->content_type == "text/plain; charset=utf-8");
    CHECK(latin->body.find("\nAdi\xC3\xB3s\n") != std::string::npos);
}

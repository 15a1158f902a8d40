// The archive index must be ezmlm-idx's byte for byte. The expected lines below come from
// an index that ezmlm-idx's ezmlm-send wrote (the test list of the ruby-ezmlm project,
// spec/data/testlist/archive/0/index) for the messages given here.
#include "qm/lists/archive/archive_index.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

using namespace qm::lists;

namespace {

const std::string first_post =
    "Return-Path: <ivah_ortiz@example.net>\n"
    "Delivered-To: mailing list testlist@lists.laika.com\n"
    "Received: (qmail 6030 invoked by uid 0); 7 May 2017 21:55:05 -0000\n"
    "Date: Sun, 07 May 2017 14:55:05 -0700\n"
    "From: Theresia Lang <ivah_ortiz@example.net>\n"
    "To: testlist@lists.laika.com\n"
    "Subject: Trying to compress program on the sensor?\n"
    "Mime-Version: 1.0\n"
    "Content-Type: text/plain;\n"
    " charset=UTF-8\n"
    "\n"
    "We need to copy the wireless SMS panel!\n";

const std::string reply_post =
    "Received: (qmail 7334 invoked by uid 0); 7 May 2017 21:55:22 -0000\n"
    "From: Meagan Mraz <keanu@example.org>\n"
    "Subject: Re: Navigating JBOD with some application?\n"
    "\n"
    "body\n";

} // namespace

TEST_CASE("the subject and author hashes are ezmlm-idx's makehash", "[lists][archive_index]") {
    // The values the real ezmlm-idx 7.2.2's ezmlm-idx writes for these subjects.
    CHECK(ezmlm_hash("Trying to compress program on the sensor?") == "gcefbmcjbciofpdadpob");
    CHECK(ezmlm_hash("Help - parse SAS on the circuit?????") == "omhcingodpgnojlmmmdl");
    CHECK(ezmlm_hash("Copying JBOD on alarm?") == "paapfigilaoibhanijnn");
    // Neither blanks nor letter case count (its makehash lower-cases ASCII capitals).
    CHECK(ezmlm_hash("Trying to compress\tprogram on the  sensor?") == "gcefbmcjbciofpdadpob");
    CHECK(ezmlm_hash("trying to compress program on the sensor?") == "gcefbmcjbciofpdadpob");
    CHECK(ezmlm_hash("Trying to compress program on the sensor!") != "gcefbmcjbciofpdadpob");
    CHECK(author_hash("Theresia Lang <ivah_ortiz@example.net> ") == "odhojfifmnbblilkmbfh");
    CHECK(author_hash("Meagan Mraz <keanu@example.org> ") == "dgopemcjfcgcokgelccm");
    // A tagged local part is the same author.
    CHECK(author_hash("Meagan <keanu-lists@example.org>") == author_hash("M <keanu@example.org>"));
    // Longer than one 32-byte SURF block.
    auto long_hash = ezmlm_hash(std::string(100, 'x'));
    CHECK(long_hash.size() == 20);
    CHECK(long_hash != ezmlm_hash(std::string(99, 'x')));
}

TEST_CASE("index entries are written as ezmlm-send writes them", "[lists][archive_index]") {
    CHECK(format_index_entry(make_index_entry(1, ParsedPost(first_post), "")) ==
          "1: gcefbmcjbciofpdadpob Trying to compress program on the sensor?\n"
          "\t7 May 2017 21:55:05 -0000;odhojfifmnbblilkmbfh Theresia Lang\n");
    // A reply shares the hash of the post it answers and is listed with "Re: ".
    CHECK(format_index_entry(make_index_entry(51, ParsedPost(reply_post), "")) ==
          "51: adhnimfbfcppjdgahlmc Re: Navigating JBOD with some application?\n"
          "\t7 May 2017 21:55:22 -0000;dgopemcjfcgcokgelccm Meagan Mraz\n");
}

TEST_CASE("subjects lose reply markers and the list prefix", "[lists][archive_index]") {
    auto plain = normalise_subject(" hello world\n", "");
    CHECK(plain.text == "hello world");
    CHECK_FALSE(plain.reply);
    for (const char* raw : {"Re: hello world", "RE: Re: hello world", "Aw: hello world",
                            "Re[2]: hello world", "hello world -Reply", "Fwd: hello world"}) {
        INFO(raw);
        auto n = normalise_subject(raw, "");
        CHECK(n.text == "hello world");
        CHECK(n.reply);
    }
    // Not reply markers: too short, too long without a number, no space after ':'.
    CHECK(normalise_subject("A: b", "").text == "A: b");
    CHECK(normalise_subject("Question: b", "").text == "Question: b");
    CHECK(normalise_subject("Re:b", "").text == "Re:b");

    auto prefixed = normalise_subject("Re: [team] hello", "[team]");
    CHECK(prefixed.text == "hello");
    CHECK(prefixed.reply);
    CHECK(prefixed.had_prefix);
    auto numbered = normalise_subject("[team 42] Re: hello", "[team #]");
    CHECK(numbered.text == "hello");
    CHECK(numbered.had_prefix);
    // Folded and MIME-encoded subjects index as their text.
    CHECK(normalise_subject(" =?iso-8859-1?Q?caf=E9_au?=\n =?UTF-8?B?bGFpdA==?= now\n", "").text ==
          "caf\xe9 aulait now");
    CHECK(normalise_subject("a\n\tb", "").text == "a b");
}

TEST_CASE("encoded words decode among broken ones whatever comes before them",
          "[lists][archive_index]") {
    // Words that look encoded but are not (no second '?', unknown encoding, no end) stay
    // as text, and the real ones after them still decode: the remembered '?' and "?="
    // positions must not skip a word.
    CHECK(decode_encoded_words("=?x =?iso-8859-1?Q?caf=E9?=") == "=?x caf\xe9");
    CHECK(decode_encoded_words("=?a?x?y?= =?utf-8?B?w6k=?= end") == "=?a?x?y?= \xc3\xa9 end");
    CHECK(decode_encoded_words("=?a?q?one?= =?a?q?two?=") == "onetwo");
    CHECK(decode_encoded_words("no end =?utf-8?q?abc") == "no end =?utf-8?q?abc");
    CHECK(decode_encoded_words("=?=?utf-8?q?x?=") == "=?x");
    // Hostile runs (each "=?" once searched to the end, quadratic before): the result is
    // the text as it came, in one pass.
    std::string many;
    for (int i = 0; i < 20000; ++i)
        many += "=?a?x?";
    CHECK(decode_encoded_words(many + "?=") == many + "?=");
    std::string unended(40000, '=');
    for (size_t i = 1; i < unended.size(); i += 2)
        unended[i] = '?';
    CHECK(decode_encoded_words(unended) == unended);
}

TEST_CASE("author names come from the display name or the comment", "[lists][archive_index]") {
    CHECK(author_name("Joe Cool <joe@example.com> ") == "Joe Cool");
    CHECK(author_name("\"Cool, Joe\" <joe@example.com>") == "Cool, Joe");
    CHECK(author_name("joe@example.com (Joe Cool)") == "Joe Cool");
    CHECK(author_name("<joe@example.com>") == "joe.example.com");
    CHECK(author_name("joe@example.com") == "joe.example.com");
    CHECK(author_name("=?UTF-8?Q?J=C3=B6rg?= <j@example.com>") == "J\xc3\xb6rg");
    CHECK(author_name("") == "");
}

TEST_CASE("an index file reads back to the same bytes", "[lists][archive_index]") {
    const std::string text = "1: dipjdfoipmjmlcnacell Trying to compress program on the sensor?\n"
                             "\t7 May 2017 21:55:05 -0000;odhojfifmnbblilkmbfh Theresia Lang\n"
                             "2: loljcjcijaaiehejkmbl \n"
                             "\t;fcedfbggkkpclhbocoon \n"
                             "3 an old entry without hashes\n";
    auto entries = parse_index(text);
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].number == 1);
    CHECK(entries[0].author == "Theresia Lang");
    CHECK(entries[0].date == "7 May 2017 21:55:05 -0000");
    CHECK(entries[1].subject.empty());
    CHECK_FALSE(entries[2].has_author_line);
    CHECK(entries[2].subject == "an old entry without hashes");
    std::string again;
    for (const auto& e : entries)
        again += format_index_entry(e);
    CHECK(again == text);
}

TEST_CASE("adding entries keeps earlier ones and replaces a reused number",
          "[lists][archive_index]") {
    qmtest::TempDir dir;
    std::filesystem::create_directory(dir.path() + "/archive");
    REQUIRE(index_post(dir.path(), 1, ParsedPost(first_post), "").has_value());
    REQUIRE(index_post(dir.path(), 2, ParsedPost(reply_post), "").has_value());
    // Number 2 handed out again (its queueing failed): the new post replaces it.
    REQUIRE(index_post(dir.path(), 2, ParsedPost(first_post), "").has_value());
    auto entries = read_index(dir.path(), 0);
    REQUIRE(entries.has_value());
    REQUIRE(entries->size() == 2);
    CHECK((*entries)[1].subject_hash == "gcefbmcjbciofpdadpob");
    struct stat st {};
    REQUIRE(::stat(index_path(dir.path(), 0).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0744);
    REQUIRE(index_post(dir.path(), 101, ParsedPost(reply_post), "").has_value());
    CHECK(std::filesystem::exists(dir.path() + "/archive/1/index"));
    auto found = find_index_entry(dir.path(), 101);
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK((*found)->author == "Meagan Mraz");
}

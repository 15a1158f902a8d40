// Archive files with the Return-Path line ezmlm-send writes first, and without it (lists
// archived by ezmlm 0.53 or by us before we wrote it): ezmlm-get's readers must give the
// same index entries for both, the m, x and r formats must leave Return-Path out (as
// ezmlm-get's digheaders and RFC 1153 field list do), and the v and n formats must give the file as
// it is, the one Return-Path line included.
#include "../make_request.hpp"
#include "qm/lists/archive/get.hpp"
#include "qm/lists/core/listdir.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

using namespace qm::lists;
using qmtest::count_of;

namespace {

const std::string message = "Mailing-List: contact team-help@lists.example; run by ezmlm\n"
                            "Delivered-To: mailing list team@lists.example\n"
                            "Received: (qmail 1 invoked by uid 1); 7 May 2017 21:55:05 -0000\n"
                            "From: Dave Poster <dave@far.example>\n"
                            "Subject: the agenda\n"
                            "\n"
                            "body\n";

struct Archive {
    qmtest::TempDir tmp;
    std::string dir = tmp / "team";
    Archive() {
        REQUIRE(make_list(liststest::new_list(tmp, "/nonexistent", "team")));
        std::filesystem::create_directory(dir + "/archive/0");
        put(1, message);                                       // an old list's file
        put(2, "Return-Path: <dave@far.example>\n" + message); // ours and ezmlm-idx's
        qmtest::spit(dir + "/num", "2\n");
    }
    void put(unsigned long n, const std::string& text) const {
        const std::string path = archive_path(dir, n);
        qmtest::spit(path, text);
        ::chmod(path.c_str(), 0744);
    }
};

} // namespace

TEST_CASE("archive files with and without Return-Path index alike", "[lists][get]") {
    Archive a;
    auto msgs = collect_messages(a.dir, 1, 2);
    REQUIRE(msgs);
    REQUIRE(msgs->size() == 2);
    for (const auto& m : *msgs) {
        INFO(m.number);
        REQUIRE(m.text);
        CHECK(m.entry.subject == "the agenda");
        CHECK(m.entry.author == "Dave Poster");
        CHECK(m.entry.date == "7 May 2017 21:55:05 -0000");
    }
    CHECK((*msgs)[0].entry.subject_hash == (*msgs)[1].entry.subject_hash);
    CHECK((*msgs)[0].entry.author_hash == (*msgs)[1].entry.author_hash);
}

TEST_CASE("digest formats show Return-Path only where ezmlm-get does", "[lists][get]") {
    Archive a;
    auto msgs = collect_messages(a.dir, 1, 2);
    REQUIRE(msgs);
    auto list = read_list(a.dir);
    REQUIRE(list);
    CollectionOptions o;
    o.heading = "team archive";
    o.administrivia = "Return-Path: <asker@far.example>\nSubject: get\n";
    // m and x keep the digheaders fields, r RFC 1153's; v and n give each file whole:
    // message 2 with its one Return-Path, message 1 (which had none) with none.
    for (auto [format, whole] : {std::pair{CollectionFormat::mime, false},
                                 {CollectionFormat::mixed, false},
                                 {CollectionFormat::rfc1153, false},
                                 {CollectionFormat::virgin, true},
                                 {CollectionFormat::native, true}}) {
        o.format = format;
        auto c = format_collection(*list, *msgs, o);
        REQUIRE(c);
        INFO(c->body);
        CHECK(count_of(c->body, "Return-Path: <dave@far.example>\n") == (whole ? 1 : 0));
        CHECK(count_of(c->body, "\n\nReturn-Path: <dave@far.example>\nMailing-List:") ==
              (whole ? 1 : 0));
        CHECK(count_of(c->body, "Mailing-List: contact team-help") == (whole ? 2 : 0));
        CHECK(count_of(c->body, "Subject: the agenda\n") == 2);
        // The request's own copy in the administrivia keeps its one.
        CHECK(count_of(c->body, "Return-Path: <asker@far.example>\n") == 1);
    }
}

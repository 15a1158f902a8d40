// The web index end to end: ezmlm-make puts ezmlm-webindex into an archived list's
// editor, posts injected with qmail-inject reach the list through the real qmail-send,
// qmail-local runs the editor (ezmlm-reject, ezmlm-send, ezmlm-webindex) and the index
// holds every post, decoded and threaded, by the time the deliveries are done.
#include "list_mta.hpp"
#include "qm/lists/manage/make.hpp"
#include "qm/web/index/index.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;
using liststest::ListMta;

namespace {

// A copy of the list's index, read there: opening it in place as another user (the
// tests may run as root) could leave WAL files the list owner cannot write.
qm::web::Index copy_of_index(const std::string& list_dir, const qmtest::TempDir& scratch) {
    for (const char* suffix : {"", "-wal"}) {
        const std::string from = qm::web::index_path(list_dir) + suffix;
        if (fs::exists(from))
            fs::copy_file(from, scratch / (std::string("index.sqlite") + suffix),
                          fs::copy_options::overwrite_existing);
    }
    auto index = qm::web::Index::open(scratch / "index.sqlite");
    REQUIRE(index);
    return std::move(*index);
}

} // namespace

TEST_CASE("posts sent through the list's editor are indexed as they are archived",
          "[scenario][web][e2e]") {
    ListMta m;
    m.make({"-f"});
    const std::string editor = qmtest::slurp(m.dir + "/editor");
    INFO(editor);
    const size_t send = editor.find("ezmlm-send' '" + m.dir + "'\n");
    const size_t index = editor.find("ezmlm-webindex' '" + m.dir + "' || exit 0\n");
    REQUIRE(send != std::string::npos);
    REQUIRE(index != std::string::npos);
    CHECK(send < index);
    m.subscribe("alice@test.example");
    m.start();

    m.inject("From: Dave <dave@test.example>\nTo: joe-team@test.example\n"
             "Subject: =?iso-8859-1?q?Caf=E9?= plans\nMessage-ID: <root@test.example>\n\n"
             "shall we meet\n");
    // A reply to a post that is not on the list yet (held elsewhere), then that post.
    m.inject("From: Bob <bob@test.example>\nTo: joe-team@test.example\n"
             "Subject: Re: agenda\nMessage-ID: <early-reply@test.example>\n"
             "In-Reply-To: <agenda@test.example>\nReferences: <agenda@test.example>\n\n"
             "agreed\n",
             "bob");
    m.inject("From: =?utf-8?q?J=C3=B6rg?= <carol@test.example>\nTo: joe-team@test.example\n"
             "Subject: Re: Cafe plans\nMessage-ID: <r1@test.example>\n"
             "In-Reply-To: <root@test.example>\nReferences: <root@test.example>\n"
             "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\n"
             "Content-Transfer-Encoding: quoted-printable\n\n"
             "Stra=DFenbahn um acht\n",
             "carol");
    m.inject("From: Dave <dave@test.example>\nTo: joe-team@test.example\n"
             "Subject: agenda\nMessage-ID: <agenda@test.example>\n\nthe agenda\n");
    REQUIRE(m.wait_messages("alice", 4));
    REQUIRE(m.wait_idle());
    CHECK(qmtest::slurp(m.dir + "/num").starts_with("4:"));

    // Made by the list's owner, as qmail-local runs the editor: the next post's run can
    // write it.
    struct stat st {};
    REQUIRE(::stat(qm::web::index_path(m.dir).c_str(), &st) == 0);
    CHECK(st.st_uid == (m.root.user() ? m.root.user()->uid : ::getuid()));
    CHECK((st.st_mode & 0777) == 0644);

    qmtest::TempDir scratch;
    auto idx = copy_of_index(m.dir, scratch);
    auto last = idx.last_indexed();
    REQUIRE(last);
    CHECK(*last == 4);
    auto counts = idx.counts();
    REQUIRE(counts);
    CHECK(counts->messages == 4);
    CHECK(counts->threads == 2);
    CHECK(counts->missing == 0);

    auto root = idx.message_by_id("root@test.example");
    REQUIRE(root);
    REQUIRE(*root);
    // The archived copy carries the list's prefix, as ezmlm-send sent it.
    CHECK((*root)->subject == "[joe-team] Caf\xc3\xa9 plans");
    CHECK((*root)->from_name == "Dave");
    CHECK((*root)->from_address == "dave@test.example");
    auto reply = idx.message_by_id("r1@test.example");
    REQUIRE(reply);
    REQUIRE(*reply);
    CHECK((*reply)->from_name == "J\xc3\xb6rg");
    CHECK((*reply)->thread == (*root)->thread);
    CHECK((*reply)->parent == (*root)->msgnum);
    auto early = idx.message_by_id("early-reply@test.example");
    auto agenda = idx.message_by_id("agenda@test.example");
    REQUIRE(early);
    REQUIRE(agenda);
    REQUIRE(*early);
    REQUIRE(*agenda);
    CHECK((*early)->thread == (*agenda)->thread);
    CHECK((*early)->parent == (*agenda)->msgnum);
    CHECK((*agenda)->thread != (*root)->thread);

    auto found = idx.search("straßenbahn");
    REQUIRE(found);
    CHECK(*found == std::vector<unsigned long>{(*reply)->msgnum});
    auto by_subject = idx.search("subject:cafe");
    REQUIRE(by_subject);
    CHECK(by_subject->size() == 2);
}

TEST_CASE("ezmlm-make -e adds the index line to an existing archived list", "[web][make]") {
    qmtest::TempDir tmp;
    // A bin directory with ezmlm-webindex beside the others, and one without.
    const std::string with = tmp / "with", without = tmp / "without";
    for (const auto& d : {with, without})
        fs::create_directories(d);
    qmtest::spit(with + "/ezmlm-webindex", "#!/bin/sh\n", 0755);
    const std::string dir = tmp / "team";
    qm::lists::MakeRequest req;
    req.dir = dir;
    req.dot = tmp / ".qmail-team";
    req.local = "team";
    req.host = "lists.example";
    req.bin_dir = without;
    REQUIRE(qm::lists::make_list(req));
    CHECK(qmtest::slurp(dir + "/editor").find("ezmlm-webindex") == std::string::npos);

    // The platform gains the web archive: an edit of the list adds the line after
    // ezmlm-send, in the editor and, for a moderated list, in the moderator.
    req.bin_dir = with;
    req.edit = true;
    req.set['m'] = true;
    REQUIRE(qm::lists::make_list(req));
    const std::string line = "|'" + with + "/ezmlm-webindex' '" + dir + "' || exit 0\n";
    const std::string editor = qmtest::slurp(dir + "/editor");
    INFO(editor);
    CHECK(editor.find(line) != std::string::npos);
    const std::string moderator = qmtest::slurp(dir + "/moderator");
    INFO(moderator);
    CHECK(moderator.find("ezmlm-moderate' '" + dir + "'\n" + line) != std::string::npos);

    // Not archived (-A): no line.
    req.set = {{'m', false}, {'a', false}};
    REQUIRE(qm::lists::make_list(req));
    CHECK(qmtest::slurp(dir + "/editor").find("ezmlm-webindex") == std::string::npos);
}

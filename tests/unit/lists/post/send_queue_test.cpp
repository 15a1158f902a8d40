// send_post end to end on a real list directory with a stand-in qmail-queue that keeps
// every message it is handed: what subscribers get (one List-Unsubscribe and one
// List-Unsubscribe-Post each, with one-click on) and what the archive keeps
// (Return-Path first, as ezmlm's archive files).
#include "../make_request.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/post/send.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using qmtest::count_of;

namespace {

struct QueuedList {
    qmtest::TempDir tmp;
    std::string dir = tmp / "team";
    std::string out = tmp / "queued";

    QueuedList() {
        REQUIRE(qm::lists::make_list(liststest::new_list(tmp, "/nonexistent", "team")));
        qmtest::spit(dir + "/dmarc", "never\n"); // no DNS here
        for (const char* a : {"a@far.example", "b@far.example"})
            REQUIRE(qm::lists::subscribe(dir, a));
        fs::create_directory(out);
        const std::string queue = tmp / "qmail-queue";
        qmtest::spit(queue, "#!/bin/sh\nf=$(mktemp '" + out +
                                "/m.XXXXXX') || exit 71\ncat > \"$f\" && cat <&1 > \"$f.env\"\n");
        ::chmod(queue.c_str(), 0755);
        ::setenv("QMAILQUEUE", queue.c_str(), 1);
    }
    ~QueuedList() { ::unsetenv("QMAILQUEUE"); }

    [[nodiscard]] std::vector<std::string> copies() const {
        std::vector<std::string> v;
        for (const auto& f : qmtest::list_dir(out))
            if (!f.ends_with(".env"))
                v.push_back(qmtest::slurp(out + "/" + f));
        return v;
    }
};

const std::string post = "Return-Path: <dave@far.example>\nFrom: dave@far.example\n"
                         "Subject: hi\n\nbody\n";

} // namespace

TEST_CASE("one-click copies carry one unsubscribe pair, whatever headeradd says", "[lists][send]") {
    QueuedList l;
    qmtest::spit(l.dir + "/unsubscribeurl", "https://lists.example/u\n");
    qmtest::spit(l.dir + "/headeradd", "Precedence: bulk\n"
                                       "List-Unsubscribe: <mailto:<#l#>-unsubscribe@<#h#>>\n"
                                       "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n");
    auto sent = qm::lists::send_post(l.dir, std::string("dave@far.example"), post);
    REQUIRE(sent);
    CHECK(sent->recipients == 2);
    CHECK(sent->warnings.size() == 2);
    const auto copies = l.copies();
    REQUIRE(copies.size() == 2);
    for (const auto& c : copies) {
        INFO(c);
        const std::string head = "\n" + c.substr(0, c.find("\n\n") + 1);
        CHECK(count_of(head, "\nList-Unsubscribe:") == 1);
        CHECK(count_of(head, "\nList-Unsubscribe-Post:") == 1);
        CHECK(head.find("\nList-Unsubscribe: <https://lists.example/u/unsubscribe/") !=
              std::string::npos);
        CHECK(count_of(head, "\nPrecedence: bulk\n") == 1);
    }
    // The archive holds no one's token, and starts with the poster's Return-Path.
    const std::string archived = qmtest::slurp(qm::lists::archive_path(l.dir, 1));
    CHECK(archived.starts_with("Return-Path: <dave@far.example>\nMailing-List: "));
    CHECK(archived.find("nsubscribe-Post") == std::string::npos);
    CHECK(count_of(archived, "Return-Path:") == 1); // the post's own one is removed
}

TEST_CASE("the archive file has Return-Path and the distributed copy does not", "[lists][send]") {
    QueuedList l;
    auto sent = qm::lists::send_post(l.dir, std::string("dave@far.example"), post);
    REQUIRE(sent);
    CHECK(sent->warnings.empty());
    const auto copies = l.copies();
    REQUIRE(copies.size() == 1);                               // one VERP entry for all
    CHECK(copies[0].find("Return-Path") == std::string::npos); // qmail-local adds it
    const std::string archived = qmtest::slurp(qm::lists::archive_path(l.dir, 1));
    CHECK(archived == "Return-Path: <dave@far.example>\n" + copies[0]);
    // No SENDER (run by hand): <>, as ezmlm-send writes it.
    REQUIRE(qm::lists::send_post(l.dir, std::nullopt, post));
    CHECK(qmtest::slurp(qm::lists::archive_path(l.dir, 2)).starts_with("Return-Path: <>\n"));
}

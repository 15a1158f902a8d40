// The archive's pages in process (Site::handle, no socket): a synthetic list of 150 posts
// (web_list.hpp: 30 threads, attachments in every eleventh post) indexed by the real
// indexer; pagination of the front page and of search, attachments, raw, 304, and a list
// whose archive is not public.
#include "site_fixture.hpp"

#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

using webtest::field;
using webtest::Fixture;
using webtest::has;

TEST_CASE("the front page and search are paginated", "[web][server]") {
    Fixture f;
    auto first = f.get("/team/");
    CHECK(first.status == 200);
    CHECK(has(first, "href=\"/team/?p=2\">older</a>"));
    CHECK_FALSE(has(first, ">newer</a>"));
    auto second = f.get("/team/?p=2");
    CHECK(has(second, "href=\"/team/?p=1\">newer</a>"));
    CHECK_FALSE(has(second, ">older</a>")); // 30 threads: 25 and 5
    // Every post says "common": 150 hits, six pages of 25.
    auto hits = f.get("/team/?q=common");
    CHECK(has(hits, "<mark>common</mark>"));
    CHECK(has(hits, "href=\"/team/?q=common&amp;p=2\">older</a>"));
    auto last = f.get("/team/?q=common&p=6");
    CHECK(has(last, ">newer</a>"));
    CHECK_FALSE(has(last, ">older</a>"));
    CHECK(has(f.get("/team/?q=common&p=7"), "No messages match."));
    CHECK(has(f.get("/team/?q=word17"), "/team/17@example.org/"));
    CHECK(has(f.get("/team/?q=subject%3A%22topic+16%22"), "/team/17@example.org/"));
    CHECK(has(f.get("/team/?q=%22%22%22"), "No messages match."));
}

TEST_CASE("attachments, raw messages and 304s", "[web][server]") {
    Fixture f;
    auto m = f.get("/team/22@example.org/");
    CHECK(m.status == 200);
    CHECK(has(m, "href=\"/team/22@example.org/2-data.bin\""));
    auto a = f.get("/team/22@example.org/2-data.bin");
    CHECK(a.status == 200);
    CHECK(a.content_type == "application/octet-stream");
    CHECK(a.body == std::string(600, 'z'));
    CHECK(field(a, "Content-Disposition") ==
          "attachment; filename=\"data.bin\"; filename*=UTF-8''data.bin");
    CHECK(f.get("/team/22@example.org/1-data.bin").status == 404);
    CHECK(f.get("/team/21@example.org/2-data.bin").status == 404);
    auto raw = f.get("/team/22@example.org/raw");
    CHECK(raw.content_type == "text/plain; charset=utf-8");
    CHECK(raw.body == webtest::post(22));
    const std::string etag = field(m, "ETag");
    CHECK(f.get("/team/22@example.org/", etag).status == 304);
    CHECK(f.get("/team/22@example.org/", "\"0000000000000000\"").status == 200);
    CHECK(f.get("/team/23@example.org/", etag).status == 200);
}

TEST_CASE("a list whose archive is not public is not served", "[web][server]") {
    Fixture f(false);
    for (const char* target : {"/team/", "/team/?q=common", "/team/new.atom",
                               "/team/1@example.org/", "/team/1@example.org/raw"}) {
        INFO(target);
        auto r = f.get(target);
        CHECK(r.status == 404);
        CHECK_FALSE(has(r, "example.org"));
    }
    CHECK_FALSE(has(f.get("/"), "team"));
}

// The server runs as a user who can write nothing of the list's (root mode: the list's
// owner indexes, ezmlm-webarchive reads). The indexer keeps -wal and -shm after it
// closes, so that user opens the index read-only as it is, not through immutable=1 (which
// would read a checkpoint half done as a broken page).
TEST_CASE("another user reads the index read-only through the kept WAL files",
          "[web][server][rootmode]") {
    const auto user = qmtest::unprivileged_test_user();
    if (!user)
        return qmtest::skip("not root");
    Fixture f;
    const std::string index = qm::web::index_path(f.list.dir);
    struct stat st {};
    REQUIRE(::stat((index + "-wal").c_str(), &st) == 0);
    REQUIRE(::stat((index + "-shm").c_str(), &st) == 0);
    CHECK((st.st_mode & 022) == 0);
    CHECK((st.st_mode & 004) != 0);
    for (const auto& e : std::filesystem::recursive_directory_iterator(f.list.tmp.path()))
        if (e.is_directory())
            std::filesystem::permissions(
                e.path(), std::filesystem::perms::others_read | std::filesystem::perms::others_exec,
                std::filesystem::perm_options::add);
    std::filesystem::permissions(f.list.tmp.path(),
                                 std::filesystem::perms::others_read |
                                     std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::setgid(user->gid) != 0 || ::setuid(user->uid) != 0)
            ::_exit(2);
        sqlite3* db = nullptr;
        const std::string uri = "file:" + index + "?mode=ro";
        if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
            SQLITE_OK)
            ::_exit(3);
        sqlite3_stmt* s = nullptr;
        const bool read =
            sqlite3_prepare_v2(db, "SELECT count(*) FROM messages", -1, &s, nullptr) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 150;
        sqlite3_finalize(s);
        sqlite3_close(db);
        if (!read)
            ::_exit(4);
        ::_exit(f.get("/team/1@example.org/").status == 200 ? 0 : 5);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

// The pool threads keep their connection to a list's index between requests: it must
// still see every post indexed since, and an index made anew (a new file) must be read
// from the new file.
TEST_CASE("a kept connection sees new posts and a rebuilt index", "[web][server]") {
    Fixture f;
    CHECK(f.get("/team/150@example.org/").status == 200);
    CHECK(f.get("/team/151@example.org/").status == 404);
    f.list.put(151, webtest::post(151));
    f.list.num(151);
    REQUIRE(qm::web::update_web_index(f.list.dir));
    CHECK(f.get("/team/151@example.org/").status == 200);
    std::filesystem::remove_all(f.list.dir + "/webarchive");
    f.list.put(152, webtest::post(152));
    f.list.num(152);
    REQUIRE(qm::web::update_web_index(f.list.dir));
    CHECK(f.get("/team/152@example.org/").status == 200);
    CHECK(f.get("/team/1@example.org/").status == 200);
}

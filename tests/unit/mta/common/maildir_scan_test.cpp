// The maildir scan qmail-pop3d, maildir2mbox and maildirwatch share.
#include "qm/maildir_scan.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

namespace {

void file_at(const std::string& path, std::time_t when, const std::string& text = "x") {
    qmtest::spit(path, text);
    const timespec times[2] = {{when, 0}, {when, 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

} // namespace

TEST_CASE("a maildir scan lists new and cur oldest first and leaves this second's mail",
          "[maildir]") {
    qmtest::TempDir dir;
    const std::string m = dir.path();
    for (const char* sub : {"new", "cur", "tmp"})
        std::filesystem::create_directory(m + "/" + sub);
    file_at(m + "/cur/2.b:2,S", 2000, "two");
    file_at(m + "/new/1.a", 1000, "one!");
    file_at(m + "/new/2.a", 2000);
    file_at(m + "/new/.hidden", 500);
    file_at(m + "/new/later", std::time(nullptr) + 3600); // changed "this second" for sure
    auto all = qm::maildir::scan(m);
    REQUIRE(all);
    REQUIRE(all->size() == 3);
    CHECK((*all)[0].name == "new/1.a");
    CHECK((*all)[0].size == 4);
    CHECK((*all)[0].mtime == 1000);
    CHECK((*all)[1].name == "cur/2.b:2,S"); // same second: by name
    CHECK((*all)[2].name == "new/2.a");
    auto watch = qm::maildir::scan(m, {.cur = false, .skip_this_second = false});
    REQUIRE(watch);
    REQUIRE(watch->size() == 3);
    CHECK(watch->back().name == "new/later");
    CHECK_FALSE(qm::maildir::scan(m + "/nonexistent").error().permanent());

    // tmp/: files unread for 36 hours go, newer ones stay.
    file_at(m + "/tmp/dead", std::time(nullptr) - 200000);
    file_at(m + "/tmp/alive", std::time(nullptr) - 1000);
    qm::maildir::clean_tmp(m);
    CHECK_FALSE(std::filesystem::exists(m + "/tmp/dead"));
    CHECK(std::filesystem::exists(m + "/tmp/alive"));
}

// ezmlm-archive's files for a small archive. The expected files are what the real
// ezmlm-idx 7.2.2's ezmlm-archive wrote for this index (the side-by-side tests in
// tests/scenario/lists/archive_threads_test.cpp cover larger archives).
#include "qm/lists/archive/thread_index.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace qm::lists;

TEST_CASE("index_date_month reads the month as ezmlm-idx does", "[lists][archive]") {
    CHECK(index_date_month("7 May 2017 21:55:05 -0000") == 201705);
    CHECK(index_date_month(" 7 may 2017 21:55:05 -0000") == 201705);
    CHECK(index_date_month("DEC 1999") == 199912);
    CHECK(index_date_month("12 Foo 2017") == 0);
    CHECK(index_date_month("7 May") == 0);
    CHECK(index_date_month("7 May x") == 0);
    CHECK(index_date_month("7 Mayo 2017") == 0);
    CHECK(index_date_month("") == 0);
}

TEST_CASE("update_thread_index writes what ezmlm-idx's ezmlm-archive writes", "[lists][archive]") {
    qmtest::TempDir tmp;
    const std::string dir = tmp.path();
    std::filesystem::create_directories(dir + "/archive/0");
    qmtest::spit(
        dir + "/archive/0/index",
        "1: aaaaaaaaaaaaaaaaaaab Hello\n\t5 Mar 2017 10:00:00 -0000;bbbbbbbbbbbbbbbbbbbc Ann\n"
        "2: cccccccccccccccccccd Other\n\t30 Mar 2017 10:00:00 -0000;dddddddddddddddddddd Bob\n"
        "3: aaaaaaaaaaaaaaaaaaab Re: Hello\n\t1 Apr 2017 09:00:00 -0000;dddddddddddddddddddd Bob\n"
        "4: eeeeeeeeeeeeeeeeeeee News\n\t2 apr 2017 09:00:00 -0000;bbbbbbbbbbbbbbbbbbbc Ann\n");
    qmtest::spit(dir + "/num", "4:1\n");
    auto outcome = update_thread_index(dir, {});
    REQUIRE(outcome);
    CHECK(outcome->inconsistency.empty());
    auto file = [&](const std::string& name) { return qmtest::slurp(dir + "/" + name); };
    CHECK(file("archnum") == "4\n");
    CHECK(file("archive/threads/201703") ==
          "3:aaaaaaaaaaaaaaaaaaab [2] Hello\n2:cccccccccccccccccccd [1] Other\n");
    CHECK(file("archive/threads/201704") ==
          "3:aaaaaaaaaaaaaaaaaaab [2] Hello\n4:eeeeeeeeeeeeeeeeeeee [1] News\n");
    CHECK(file("archive/subjects/aa/aaaaaaaaaaaaaaaaab") ==
          "aaaaaaaaaaaaaaaaaaab Hello\n1:201703:bbbbbbbbbbbbbbbbbbbc Ann\n"
          "3:201704:dddddddddddddddddddd Bob\n");
    CHECK(file("archive/subjects/cc/cccccccccccccccccd") ==
          "cccccccccccccccccccd Other\n2:201703:dddddddddddddddddddd Bob\n");
    CHECK(file("archive/authors/bb/bbbbbbbbbbbbbbbbbc") ==
          "bbbbbbbbbbbbbbbbbbbc Ann\n1:201703:aaaaaaaaaaaaaaaaaaab Hello\n"
          "4:201704:eeeeeeeeeeeeeeeeeeee News\n");
    CHECK(file("archive/authors/dd/dddddddddddddddddd") ==
          "dddddddddddddddddddd Bob\n2:201703:cccccccccccccccccccd Other\n"
          "3:201704:aaaaaaaaaaaaaaaaaaab Hello\n");
    // Nothing new: nothing to do.
    REQUIRE(update_thread_index(dir, {}));
    CHECK(file("archnum") == "4\n");
    // An empty list is refused, permanently.
    qmtest::spit(dir + "/num", "0:0\n");
    auto empty = update_thread_index(dir, {});
    REQUIRE_FALSE(empty);
    CHECK(empty.error().permanent());
}

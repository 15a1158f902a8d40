#include "qm/lists/bounce/bounce_store.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;

// ezmlm-idx 7.2.2's ezmlm-return and ezmlm-warn name a history by the keyless cookie of
// the address as the bounce gave it (these letters are what its cookie() prints); the
// scenario test ezmlm_idx_move_test.cpp checks the same against its programs.
TEST_CASE("a bounce history has ezmlm-idx 7's name", "[lists][bounce][ezmlm-idx]") {
    CHECK(qm::lists::bounce_history_path("/l", "joe@far.example") ==
          "/l/bounce/h/b/hmhdhiipoiblhophogoh");
    CHECK(qm::lists::bounce_history_path(
              "/l", "Someone.Long.Name-with-many-characters@Sub.Domain.Example.ORG") ==
          "/l/bounce/h/e/hlocjgohljahbcoelgph");
}

TEST_CASE("a history kept under our earlier name is read and moved to 7.x's",
          "[lists][bounce][ezmlm-idx]") {
    qmtest::TempDir tmp;
    const std::string work = tmp.path();
    const std::string earlier = qm::lists::earlier_bounce_history_path(work, "joe@far.example");
    const std::string now = qm::lists::bounce_history_path(work, "joe@far.example");
    REQUIRE(earlier != now);
    fs::create_directories(fs::path(earlier).parent_path());
    qmtest::spit(earlier, "   1\n");
    auto found = qm::lists::current_bounce_history_path(work, "joe@far.example");
    REQUIRE(found);
    CHECK(*found == earlier);

    REQUIRE(qm::lists::record_distribution_bounce(work, "joe@far.example", 2, 1'700'000'000, "",
                                                  "a bounce\n"));
    CHECK(qmtest::slurp(now) == "   1\n   2\n");
    CHECK_FALSE(fs::exists(earlier));
    found = qm::lists::current_bounce_history_path(work, "joe@far.example");
    REQUIRE(found);
    CHECK(*found == now);
}

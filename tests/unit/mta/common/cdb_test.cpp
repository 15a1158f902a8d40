#include "qm/cdb.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

TEST_CASE("cdb writer is atomic and reader finds records", "[common][cdb]") {
    qmtest::TempDir dir;
    std::string path = dir / "t.cdb";
    {
        auto w = qm::cdb::Writer::create(path);
        REQUIRE(w);
        REQUIRE(w->add("key", "one"));
        REQUIRE(w->add("key", "two"));
        REQUIRE(w->add("other", "x"));
        CHECK_FALSE(std::filesystem::exists(path)); // nothing visible before commit
        REQUIRE(w->commit());
    }
    auto r = qm::cdb::Reader::open(path);
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((*r)->find("key").value() == "one");
    CHECK((*r)->find_all("key") == std::vector<std::string>{"one", "two"});
    CHECK_FALSE((*r)->find("missing"));
    CHECK((*r)->records().size() == 3);
    {
        auto w = qm::cdb::Writer::create(path);
        REQUIRE(w);
        REQUIRE(w->add("new", "y"));
        // abandoned without commit: the old table stays
    }
    CHECK(qmtest::list_dir(dir.path()) == std::vector<std::string>{"t.cdb"});
    auto missing = qm::cdb::Reader::open(dir / "none.cdb");
    REQUIRE(missing);
    CHECK_FALSE(*missing);
}

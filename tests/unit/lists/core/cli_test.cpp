#include "qm/lists/core/cli.hpp"

#include <catch2/catch.hpp>

using qm::lists::cli::databases;
using Dbs = std::vector<std::string>;

TEST_CASE("ezmlm-idx 7 sub-database names resolve under the list", "[lists][cli]") {
    CHECK(*databases("/l", {}) == Dbs{"/l"});
    CHECK(*databases("/l", {".", "digest", "allow", "mod"}) ==
          Dbs{"/l", "/l/digest", "/l/allow", "/l/mod"});
    // Only the names given: dir itself is not looked at unless "." says so.
    CHECK(*databases("/l", {"digest"}) == Dbs{"/l/digest"});
    CHECK(*databases("rel", {".", "allow"}) == Dbs{"rel", "rel/allow"});
    // An absolute word among names stands for itself.
    CHECK(*databases("/l", {"allow", "/other/db"}) == Dbs{"/l/allow", "/other/db"});
    // 7.x allows one level only.
    auto deep = databases("/l", {"a/b"});
    REQUIRE_FALSE(deep);
    CHECK(deep.error().severity == qm::Severity::permanent);
}

TEST_CASE("all-absolute words are each a database as in ezmlm 0.53", "[lists][cli]") {
    CHECK(*databases("/l", {"/l/allow"}) == Dbs{"/l", "/l/allow"});
    CHECK(*databases("/l1", {"/l2", "/l3/digest"}) == Dbs{"/l1", "/l2", "/l3/digest"});
}

TEST_CASE("only the standard subscriber database is known", "[lists][cli]") {
    CHECK(qm::lists::cli::standard_subscribers("std"));
    auto sql = qm::lists::cli::standard_subscribers("mysql:host:user:pw:db");
    REQUIRE_FALSE(sql);
    CHECK(sql.error().text.find("mysql:host") != std::string::npos);
}

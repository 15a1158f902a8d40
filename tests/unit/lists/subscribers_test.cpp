#include "qm/lists/subscribers.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

struct Db {
    qmtest::TempDir tmp;
    Db() { fs::create_directory(tmp / "subscribers"); }
    [[nodiscard]] std::string path() const { return tmp.path(); }
    [[nodiscard]] std::string file(char ch) const {
        return qmtest::slurp(tmp / ("subscribers/"s + ch));
    }
    [[nodiscard]] std::vector<std::string> all() const {
        std::vector<std::string> out;
        REQUIRE(qm::lists::for_each_subscriber(path(),
                                               [&](std::string_view a) { out.emplace_back(a); }));
        return out;
    }
};

} // namespace

// Values computed independently (Python) from ezmlm 0.53's subscribe.c loop.
TEST_CASE("subscriber hash agrees with ezmlm 0.53 and ezmlm-idx on 64 bits",
          "[lists][subscribers]") {
    CHECK(qm::lists::subhash32("Tuser@example.com") == 'W' - '@');
    CHECK(qm::lists::subhash64("Tuser@example.com") == 'Y' - '@');
    CHECK(qm::lists::subhash32("TAlice@example.com") == '\\' - '@');
    CHECK(qm::lists::subhash32("Talice@example.com") == 'C' - '@');
    // New records go where ezmlm-idx files them: the hash of the all-lower-case record.
    CHECK(qm::lists::subscriber_file("Alice@example.com") == 'C');
    CHECK(qm::lists::subscriber_file("alice@example.com") == 'C');
    CHECK(qm::lists::subscriber_file("x@y") == 'G');
    CHECK(qm::lists::subscriber_file("Joe.Bloggs@example.org") == '@');
}

TEST_CASE("addresses are checked and their domain lower-cased", "[lists][subscribers]") {
    CHECK(*qm::lists::normalise_address("Alice@Example.COM") == "Alice@example.com");
    CHECK(qm::lists::normalise_address("no-at-sign").error().text == "address does not contain @");
    CHECK(qm::lists::normalise_address("a\n@b").error().permanent());
    CHECK(qm::lists::normalise_address(std::string(391, 'a') + "@b.example").error().text ==
          "address is too long");
    CHECK(qm::lists::normalise_address(std::string(398, 'a') + "@b"));
}

TEST_CASE("a record is T address NUL, in the file ezmlm reads", "[lists][subscribers]") {
    Db db;
    REQUIRE(*qm::lists::subscribe(db.path(), "Alice@Example.COM"));
    CHECK(db.file('C') == "TAlice@example.com\0"s);
    REQUIRE(*qm::lists::subscribe(db.path(), "x@y"));
    CHECK(db.file('G') == "Tx@y\0"s);
    // Again, in another case: already there, nothing written.
    CHECK_FALSE(*qm::lists::subscribe(db.path(), "ALICE@example.com"));
    CHECK(db.file('C') == "TAlice@example.com\0"s);
    CHECK(*qm::lists::is_subscriber(db.path(), "alice@EXAMPLE.com"));
    CHECK(*qm::lists::is_subscriber(db.path(), "x@Y"));
    CHECK_FALSE(*qm::lists::is_subscriber(db.path(), "bob@example.com"));
    CHECK_FALSE(*qm::lists::is_subscriber(db.path(), "nobody"));
    CHECK(db.all() == std::vector<std::string>{"Alice@example.com", "x@y"});
    struct stat st {};
    REQUIRE(::stat((db.path() + "/lock").c_str(), &st) == 0);
}

TEST_CASE("a record ezmlm 0.53 filed under its case-sensitive hash is found in any case",
          "[lists][subscribers]") {
    Db db;
    qmtest::spit(db.tmp / "subscribers/\\", "TAlice@example.com\0"s);
    CHECK(*qm::lists::is_subscriber(db.path(), "alice@example.com"));
    CHECK(*qm::lists::is_subscriber(db.path(), "Alice@example.com"));
    CHECK_FALSE(*qm::lists::subscribe(db.path(), "ALICE@example.com"));
    CHECK(db.all() == std::vector<std::string>{"Alice@example.com"});
}

TEST_CASE("unsubscribe removes every case variant, wherever an ezmlm filed it",
          "[lists][subscribers]") {
    Db db;
    // ezmlm 0.53 files under the hash as given ('\'), ezmlm-idx under the hash of the
    // all-lower-case record ('C'), on a 64-bit build under its 64-bit hash ('n').
    qmtest::spit(db.tmp / "subscribers/\\", "TAlice@example.com\0"s);
    qmtest::spit(db.tmp / "subscribers/C", "Tother@example.com\0"s);
    qmtest::spit(db.tmp / "subscribers/n", "Talice@example.com\0"s);
    CHECK(*qm::lists::is_subscriber(db.path(), "ALICE@example.com"));
    CHECK_FALSE(*qm::lists::subscribe(db.path(), "alice@example.com"));
    CHECK(*qm::lists::unsubscribe(db.path(), "alice@example.COM"));
    CHECK(db.file('C') == "Tother@example.com\0"s);
    CHECK(db.file('n').empty());
    CHECK(db.file('\\').empty());
    CHECK_FALSE(*qm::lists::is_subscriber(db.path(), "alice@example.com"));
    CHECK_FALSE(*qm::lists::unsubscribe(db.path(), "alice@example.com"));
}

TEST_CASE("bulk update rewrites each file once and counts", "[lists][subscribers]") {
    Db db;
    std::vector<std::string> addrs;
    for (int i = 0; i < 2000; ++i)
        addrs.push_back("user" + std::to_string(i) + "@example.com");
    addrs.push_back("user7@example.com"); // duplicate within the batch
    size_t calls = 0, last_total = 0;
    auto r = qm::lists::bulk_update(db.path(), addrs, true, [&](size_t done, size_t total) {
        ++calls;
        CHECK(done <= total);
        last_total = total;
    });
    REQUIRE(r);
    CHECK(r->changed == 2000);
    CHECK(r->unchanged == 1);
    CHECK(calls == last_total);
    CHECK(last_total == 53);
    CHECK(db.all().size() == 2000);
    for (const auto& a : {"user0@example.com", "user1999@example.com"})
        CHECK(*qm::lists::is_subscriber(db.path(), a));
    // Every (lower-case) record sits where ezmlm 0.53 would look for it.
    for (const auto& a : db.all())
        CHECK(
            db.file(static_cast<char>('@' + qm::lists::subhash32("T" + a))).find("T" + a + '\0') !=
            std::string::npos);
    auto gone =
        qm::lists::bulk_update(db.path(), {"user1@example.com", "nobody@example.com"}, false);
    REQUIRE(gone);
    CHECK(gone->changed == 1);
    CHECK(gone->unchanged == 1);
    CHECK(db.all().size() == 1999);
}

TEST_CASE("a missing subscribers directory is a temporary failure", "[lists][subscribers]") {
    qmtest::TempDir tmp;
    auto r = qm::lists::subscribe(tmp / "nolist", "a@b");
    REQUIRE_FALSE(r);
    CHECK_FALSE(r.error().permanent());
}

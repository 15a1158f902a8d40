#include "qm/fd.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
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
    // New records go where ezmlm-idx 7 files them: the 64-bit hash of the all-lower-case
    // record (the real ezmlm-idx 7.2.2's ezmlm-sub put Alice@Example.COM in 'n', x@y in 'q').
    CHECK(qm::lists::subscriber_file("Alice@example.com") == 'n');
    CHECK(qm::lists::subscriber_file("alice@example.com") == 'n');
    CHECK(qm::lists::subscriber_file("x@y") == 'q');
    CHECK(qm::lists::subscriber_file("Joe.Bloggs@example.org") == 'G');
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
    CHECK(db.file('n') == "TAlice@example.com\0"s);
    REQUIRE(*qm::lists::subscribe(db.path(), "x@y"));
    CHECK(db.file('q') == "Tx@y\0"s);
    // Again, in another case: already there, nothing written.
    CHECK_FALSE(*qm::lists::subscribe(db.path(), "ALICE@example.com"));
    CHECK(db.file('n') == "TAlice@example.com\0"s);
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
    // ezmlm 0.53 files under the hash as given ('\'), ezmlm-idx on 32 bits (and we, before
    // filing as ezmlm-idx 7) under the hash of the all-lower-case record ('C'), ezmlm-idx 7
    // on 64 bits under its 64-bit hash ('n').
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

TEST_CASE("refiling moves records from ezmlm 0.53's places to ezmlm-idx 7's",
          "[lists][subscribers]") {
    Db db;
    // ezmlm 0.53 filed Alice as given ('\\') and user by its 32-bit hash ('W'); another
    // case of alice sits where we filed before ('C'); x@y is both at home ('q', as after a
    // refile that a crash stopped half-way) and still in its old place ('G').
    qmtest::spit(db.tmp / "subscribers/\\", "TAlice@example.com\0"s);
    qmtest::spit(db.tmp / "subscribers/W", "Tuser@example.com\0"s);
    qmtest::spit(db.tmp / "subscribers/C", "Talice@example.com\0"s);
    qmtest::spit(db.tmp / "subscribers/q", "TX@y\0"s);
    qmtest::spit(db.tmp / "subscribers/G", "Tx@y\0Zodd@example.com\0"s);
    auto moved = qm::lists::refile_subscribers(db.path());
    REQUIRE(moved);
    CHECK(*moved == 4);
    // Each address once, at home; the first record met ('C' before '\\') is the one kept.
    CHECK(db.file('n') == "Talice@example.com\0"s);
    CHECK(db.file('Y') == "Tuser@example.com\0"s);
    CHECK(db.file('q') == "TX@y\0"s);
    CHECK(db.file('\\').empty());
    CHECK(db.file('W').empty());
    CHECK(db.file('C').empty());
    // What is no "T" record stays where it is.
    CHECK(db.file('G') == "Zodd@example.com\0"s);
    // A second run finds nothing to move and writes nothing.
    const auto before = fs::last_write_time(db.tmp / "subscribers/n");
    CHECK(*qm::lists::refile_subscribers(db.path()) == 0);
    CHECK(fs::last_write_time(db.tmp / "subscribers/n") == before);
    CHECK(*qm::lists::is_subscriber(db.path(), "ALICE@example.com"));
    CHECK(*qm::lists::unsubscribe(db.path(), "alice@example.com"));
    CHECK(db.file('n').empty());
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
    // Every (lower-case) record sits where ezmlm-idx 7 looks for it first.
    for (const auto& a : db.all())
        CHECK(
            db.file(static_cast<char>('@' + qm::lists::subhash64("T" + a))).find("T" + a + '\0') !=
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

namespace {

// What a program writes on stderr while one of these lives.
class StderrCapture {
public:
    explicit StderrCapture(std::string path)
        : path_(std::move(path))
        , saved_(::dup(2)) {
        std::fflush(stderr);
        qm::UniqueFd to(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        REQUIRE(to);
        REQUIRE(::dup2(to.get(), 2) == 2);
    }
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;
    ~StderrCapture() { restore(); }
    std::string text() {
        restore();
        return qmtest::slurp(path_);
    }

private:
    void restore() {
        if (!saved_)
            return;
        std::fflush(stderr);
        ::dup2(saved_.get(), 2);
        saved_.reset();
    }
    std::string path_;
    qm::UniqueFd saved_;
};

// The 53 subscriber files of a database ("" for a missing one).
std::vector<std::string> subscriber_files(const Db& db) {
    std::vector<std::string> out;
    for (unsigned i = 0; i < qm::lists::subscriber_files; ++i) {
        const std::string path = db.tmp / ("subscribers/"s + static_cast<char>('@' + i));
        out.push_back(fs::exists(path) ? qmtest::slurp(path) : "(none)");
    }
    return out;
}

// The same start for both databases: a record of ours, one ezmlm 0.53 filed under the
// hash of its mixed-case form, and a partial record after a complete one.
void seed(const Db& db) {
    auto append = [&](char file, const std::string& bytes) {
        const std::string path = db.tmp / ("subscribers/"s + file);
        qmtest::spit(path, (fs::exists(path) ? qmtest::slurp(path) : ""s) + bytes);
    };
    REQUIRE(*qm::lists::subscribe(db.path(), "old@example.com"));
    append(static_cast<char>('@' + qm::lists::subhash32("TDave@x.example")), "TDave@x.example\0"s);
    append(qm::lists::subscriber_file("alice@example.com"), "Tkept@c.example\0Tpart"s);
}

} // namespace

TEST_CASE("bulk updates leave the files one-by-one updates leave, byte for byte",
          "[lists][subscribers]") {
    Db bulk, single;
    seed(bulk);
    seed(single);
    // A mixed import: duplicates in other letter cases of domain and local part, a record
    // already there (ezmlm 0.53's), bad lines, comments, and enough lines that some
    // straddle the reader's 64 KiB pieces.
    std::string input = "# an import\n"
                        "alice@Example.COM\n"
                        "  Bob.Smith@example.com   Bob Smith\n"
                        "\n"
                        "alice@example.com\n"
                        "no-at-sign\n"
                        "ALICE@EXAMPLE.com\n"
                        "Carol@Other.example\r\n"
                        "dave@X.EXAMPLE\n"
                        "OLD@example.com\n";
    std::vector<std::string> one_by_one = {
        "alice@Example.COM",   "Bob.Smith@example.com", "alice@example.com", "ALICE@EXAMPLE.com",
        "Carol@Other.example", "dave@X.EXAMPLE",        "OLD@example.com"};
    for (int i = 0; i < 5000; ++i) {
        const int j = i % 4000;
        std::string a = (i % 3 ? "user." : "User.") + std::to_string(j) + "@D" +
                        std::to_string(j % 17) + ".Example";
        input += a + "\n";
        one_by_one.push_back(a);
    }
    input += std::string(400, 'x') + "@too.long.example\n"; // line 5011
    input += "last@x.example";                              // no newline at the end
    one_by_one.push_back("last@x.example");
    REQUIRE(input.size() > 65536);
    qmtest::spit(bulk.tmp / "input", input);

    StderrCapture err(bulk.tmp / "stderr");
    qm::UniqueFd in(::open((bulk.tmp / "input").c_str(), O_RDONLY | O_CLOEXEC));
    auto read = qm::lists::cli::read_addresses("ezmlm-sub", in.get());
    const std::string warnings = err.text();
    REQUIRE(read);
    CHECK(read->bad == 2);
    CHECK(warnings == "ezmlm-sub: warning: line 6: address does not contain @: no-at-sign\n"
                      "ezmlm-sub: warning: line 5011: address is too long: " +
                          std::string(400, 'x') + "@too.long.example\n");
    CHECK(read->addresses.size() == one_by_one.size());

    auto added = qm::lists::bulk_update(bulk.path(), read->addresses, true);
    REQUIRE(added);
    size_t new_ones = 0;
    for (const auto& a : one_by_one)
        new_ones += *qm::lists::subscribe(single.path(), a);
    CHECK(added->changed == new_ones);
    CHECK(added->unchanged == one_by_one.size() - new_ones);
    CHECK(new_ones == 3 + 4000 + 1); // alice, Bob, Carol, the users, last
    CHECK(subscriber_files(bulk) == subscriber_files(single));

    // And back out: some of them, some twice, in other cases, the 0.53 record, and one
    // that was never there.
    std::vector<std::string> leaving = {"DAVE@x.example", "nobody@x.example",
                                        "bob.smith@EXAMPLE.com", "Bob.Smith@example.com"};
    for (int i = 0; i < 4000; i += 3)
        leaving.push_back("USER." + std::to_string(i) + "@d" + std::to_string(i % 17) + ".example");
    auto removed = qm::lists::bulk_update(bulk.path(), leaving, false);
    REQUIRE(removed);
    size_t gone = 0;
    for (const auto& a : leaving)
        gone += *qm::lists::unsubscribe(single.path(), a);
    CHECK(removed->changed == gone);
    CHECK(removed->unchanged == 1); // nobody; the repeated Bob counts once
    CHECK(subscriber_files(bulk) == subscriber_files(single));
    CHECK_FALSE(*qm::lists::is_subscriber(bulk.path(), "dave@x.example"));
    CHECK(*qm::lists::is_subscriber(bulk.path(), "kept@c.example"));
}

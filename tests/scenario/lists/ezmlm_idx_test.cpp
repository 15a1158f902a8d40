// Subscriber files shared with the real ezmlm-idx 7.2.2 (built from source as a test peer,
// support/ezmlm_idx.hpp): what our ezmlm-sub files, the real ezmlm-issubn, ezmlm-list and
// ezmlm-unsub find, and the other way round; neither side adds a second copy of an address
// the other subscribed; and ezmlm-make -e moves a list that ezmlm 0.53 filed to where
// ezmlm-idx 7 looks. 200 addresses, in mixed case in local part and domain, cover nearly
// all 53 subscriber files and both of ezmlm-idx 7's hashes (the lower-cased record's, where
// it files, and the record's as given, where it also looks).
#include "ezmlm_idx.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>

namespace fs = std::filesystem;

namespace {

constexpr int readers = 200;

// Addresses unlike each other in the way subscribers' are: letter case in either part,
// dots, digits, several domains.
std::vector<std::string> addresses(const std::string& tag, int n = readers) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
        std::string local = (i % 2 ? "Reader." : "reader.") + tag + std::to_string(i);
        if (i % 3 == 0)
            local += "X";
        const std::string domain = (i % 5 == 0 ? "Host" : "host") + std::to_string(i % 7) +
                                   (i % 4 ? ".Example.ORG" : ".example.org");
        out.push_back(local + "@" + domain);
    }
    return out;
}

std::string lower(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// Every letter in the other case: the same address to ezmlm.
std::string swapped(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        else if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    return s;
}

// As ezmlm records and lists an address: the domain lower-cased.
std::string recorded(const std::string& address) {
    const auto at = address.rfind('@');
    return address.substr(0, at + 1) + lower(address.substr(at + 1));
}

std::vector<std::string> sorted_lines(const std::string& text) {
    std::vector<std::string> out;
    for (size_t p = 0, nl; (nl = text.find('\n', p)) != std::string::npos; p = nl + 1)
        out.push_back(text.substr(p, nl - p));
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> as_listed(const std::vector<std::string>& addrs) {
    std::vector<std::string> out;
    for (const auto& a : addrs)
        out.push_back(recorded(a));
    std::sort(out.begin(), out.end());
    return out;
}

// One list and both sets of programs.
struct Peers {
    const qmtest::EzmlmIdx& ez = qmtest::ezmlm_idx();
    qmtest::TempDir tmp;
    std::string dir = tmp / "l";

    // Made by our ezmlm-make, or by the real one (with its ezmlmrc).
    void make(bool real) const {
        auto r = qmtest::run({real ? ez.bin("ezmlm-make") : qmtest::bin("ezmlm-make"), dir,
                              tmp / ".qmail-l", "l", "lists.example"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    [[nodiscard]] std::string program(bool real, const std::string& name) const {
        return real ? ez.bin(name) : qmtest::bin(name);
    }
    // ezmlm-sub or ezmlm-unsub with the addresses on the command line.
    void change(bool real, const char* name, const std::vector<std::string>& addrs,
                const std::string& db = "") const {
        std::vector<std::string> argv{program(real, name), dir};
        if (!db.empty())
            argv.push_back(db);
        argv.insert(argv.end(), addrs.begin(), addrs.end());
        auto r = qmtest::run(argv);
        INFO(name << (real ? " (ezmlm-idx)" : " (ours)") << ": " << r.err);
        REQUIRE(r.exit_code == 0);
    }
    [[nodiscard]] std::vector<std::string> list(bool real, const std::string& db = "") const {
        std::vector<std::string> argv{program(real, "ezmlm-list"), dir};
        if (!db.empty())
            argv.push_back(db);
        auto r = qmtest::run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return sorted_lines(r.out);
    }
    // ezmlm-issubn's exit code for sender: 0 subscribed, 99 not.
    [[nodiscard]] int issubn(bool real, const std::string& sender,
                             const std::string& db = "") const {
        std::vector<std::string> argv{program(real, "ezmlm-issubn"), dir};
        if (!db.empty())
            argv.push_back(dir + "/" + db);
        return qmtest::run(argv, {.env = {{"SENDER", sender}}}).exit_code;
    }
    // The addresses of addrs that ezmlm-issubn finds, each asked in the other letter case.
    [[nodiscard]] size_t found(bool real, const std::vector<std::string>& addrs,
                               const std::string& db = "") const {
        return static_cast<size_t>(std::count_if(addrs.begin(), addrs.end(), [&](const auto& a) {
            return issubn(real, swapped(a), db) == 0;
        }));
    }
    // The non-empty subscriber files.
    [[nodiscard]] size_t files_used() const {
        size_t n = 0;
        for (const auto& f : qmtest::list_dir(dir + "/subscribers"))
            n += !qmtest::slurp(dir + "/subscribers/" + f).empty();
        return n;
    }
    // Each subscriber file's bytes, a missing one as an empty one (the real ezmlm-sub
    // leaves an empty file where it looked for an old record and found none).
    [[nodiscard]] std::vector<std::string> subscriber_files(const std::string& db = "") const {
        std::vector<std::string> out;
        for (char c = '@'; c <= 't'; ++c) {
            const std::string path = dir + (db.empty() ? "" : "/" + db) + "/subscribers/" + c;
            out.push_back(fs::exists(path) ? qmtest::slurp(path) : "");
        }
        return out;
    }
};

constexpr bool ours = false, real = true;

} // namespace

TEST_CASE("subscribers our ezmlm-sub adds are found listed and removed by the real ezmlm-idx",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    Peers p;
    p.make(ours);
    const auto addrs = addresses("ours");
    p.change(ours, "ezmlm-sub", addrs);
    CHECK(p.files_used() >= 40);
    CHECK(p.list(real) == as_listed(addrs));
    CHECK(p.found(real, addrs) == addrs.size());
    CHECK(p.issubn(real, "reader.nobody@host1.example.org") == 99);

    // The real ezmlm-sub finds them too: no second copy, in any letter case.
    const auto before = p.subscriber_files();
    std::vector<std::string> again;
    for (const auto& a : addrs)
        again.push_back(swapped(a));
    p.change(real, "ezmlm-sub", again);
    CHECK(p.subscriber_files() == before);
    CHECK(p.list(real) == as_listed(addrs));
    CHECK(p.list(ours) == as_listed(addrs));

    // The real ezmlm-unsub removes half of them, asked in the other case.
    const std::vector<std::string> leaving(addrs.begin(), addrs.begin() + readers / 2);
    const std::vector<std::string> staying(addrs.begin() + readers / 2, addrs.end());
    p.change(real, "ezmlm-unsub",
             std::vector<std::string>(again.begin(), again.begin() + readers / 2));
    CHECK(p.list(ours) == as_listed(staying));
    CHECK(p.list(real) == as_listed(staying));
    CHECK(p.found(ours, leaving) == 0);
    CHECK(p.found(ours, staying) == staying.size());
}

TEST_CASE("our ezmlm-sub writes the subscriber files the real ezmlm-sub writes",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    Peers by_ours, by_real;
    by_ours.make(ours);
    by_real.make(ours);
    const auto addrs = addresses("same");
    by_ours.change(ours, "ezmlm-sub", addrs);
    by_real.change(real, "ezmlm-sub", addrs);
    CHECK(by_ours.subscriber_files() == by_real.subscriber_files());
    // And into a sub-database.
    by_ours.change(ours, "ezmlm-sub", addrs, "allow");
    by_real.change(real, "ezmlm-sub", addrs, "allow");
    CHECK(by_ours.subscriber_files("allow") == by_real.subscriber_files("allow"));
}

TEST_CASE("subscribers the real ezmlm-sub adds are found listed and removed by ours",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    Peers p;
    p.make(real);
    const auto addrs = addresses("theirs");
    p.change(real, "ezmlm-sub", addrs);
    CHECK(p.list(ours) == as_listed(addrs));
    CHECK(p.found(ours, addrs) == addrs.size());
    CHECK(p.issubn(ours, "reader.nobody@host1.example.org") == 99);

    // Ours adds no second copy.
    const auto before = p.subscriber_files();
    std::vector<std::string> again;
    for (const auto& a : addrs)
        again.push_back(swapped(a));
    p.change(ours, "ezmlm-sub", again);
    CHECK(p.subscriber_files() == before);
    CHECK(p.list(real) == as_listed(addrs));

    // Ours removes half of them; the real programs see them gone.
    const std::vector<std::string> leaving(addrs.begin(), addrs.begin() + readers / 2);
    const std::vector<std::string> staying(addrs.begin() + readers / 2, addrs.end());
    p.change(ours, "ezmlm-unsub",
             std::vector<std::string>(again.begin(), again.begin() + readers / 2));
    CHECK(p.list(real) == as_listed(staying));
    CHECK(p.list(ours) == as_listed(staying));
    CHECK(p.found(real, leaving) == 0);
    CHECK(p.found(real, staying) == staying.size());
}

TEST_CASE("a list with subscribers from both sides lists each once with both ezmlm-lists",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    Peers p;
    p.make(real);
    // Half by each; then a quarter of each side's subscribed again by the other side, in
    // the other letter case.
    const auto by_ours = addresses("mixed.o", readers / 2);
    const auto by_real = addresses("mixed.r", readers / 2);
    p.change(ours, "ezmlm-sub", by_ours);
    p.change(real, "ezmlm-sub", by_real);
    std::vector<std::string> to_real, to_ours;
    for (int i = 0; i < readers / 8; ++i) {
        to_real.push_back(swapped(by_ours[static_cast<size_t>(i) * 4]));
        to_ours.push_back(swapped(by_real[static_cast<size_t>(i) * 4]));
    }
    p.change(real, "ezmlm-sub", to_real);
    p.change(ours, "ezmlm-sub", to_ours);

    std::vector<std::string> everyone = by_ours;
    everyone.insert(everyone.end(), by_real.begin(), by_real.end());
    CHECK(p.list(ours) == as_listed(everyone));
    CHECK(p.list(real) == as_listed(everyone));
    CHECK(p.found(ours, everyone) == everyone.size());
    CHECK(p.found(real, everyone) == everyone.size());
}

namespace {

// ezmlm 0.53's subscribe.c: the record as given (domain lower-cased), hashed in 32 bits.
char ezmlm053_file(const std::string& record) {
    std::uint32_t h = 5381;
    for (unsigned char c : record)
        h = (h + (h << 5)) ^ c;
    return static_cast<char>('@' + h % 53);
}

// Writes addrs into db's subscriber files as ezmlm 0.53 filed them.
void file_as_053(const std::string& db, const std::vector<std::string>& addrs) {
    for (const auto& a : addrs) {
        const std::string rec = "T" + recorded(a);
        const std::string path = db + "/subscribers/" + ezmlm053_file(rec);
        const std::string old = fs::exists(path) ? qmtest::slurp(path) : "";
        qmtest::spit(path, old + rec + std::string(1, '\0'));
    }
}

} // namespace

TEST_CASE("ezmlm-make -e re-files a list ezmlm 0.53 filed where the real ezmlm-idx looks",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    Peers p;
    p.make(ours);
    const auto addrs = addresses("old");
    const auto mods = addresses("mod", 20);
    file_as_053(p.dir, addrs);
    file_as_053(p.dir + "/mod", mods);
    // Before: the real ezmlm-issubn misses most of them (its hashes are not 0.53's), and
    // the real ezmlm-sub would add them again.
    CHECK(p.found(real, addrs) < addrs.size() / 2);
    CHECK(p.list(real) == as_listed(addrs));

    auto edited = qmtest::run({qmtest::bin("ezmlm-make"), "-e", p.dir});
    INFO(edited.err);
    REQUIRE(edited.exit_code == 0);
    CHECK(p.found(real, addrs) == addrs.size());
    CHECK(p.found(real, mods, "mod") == mods.size());
    CHECK(p.list(real) == as_listed(addrs));
    CHECK(p.list(real, "mod") == as_listed(mods));

    // Nothing moves on a second edit.
    const auto files = p.subscriber_files();
    REQUIRE(qmtest::run({qmtest::bin("ezmlm-make"), "-e", p.dir}).exit_code == 0);
    CHECK(p.subscriber_files() == files);

    // The real ezmlm-sub adds no copy, and its ezmlm-unsub removes what ezmlm 0.53 added.
    p.change(real, "ezmlm-sub", addrs);
    CHECK(p.subscriber_files() == files);
    p.change(real, "ezmlm-unsub", {addrs.front(), addrs.back()});
    CHECK(p.list(ours).size() == addrs.size() - 2);
    CHECK(p.issubn(ours, addrs.front()) == 99);
}

// ezmlm-split -D prints where each address would be sent: the same split file must give
// the same answers from both programs, for addresses that cover every hash (0..52), the
// domain-key prefix match (com, com.example, org), the default bounds, a rule for this
// list, a local sublist (no @host) and letter case.
TEST_CASE("ezmlm-split -D sends every address where the real ezmlm-split sends it",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    Peers p;
    p.make(real);
    qmtest::spit(p.dir + "/split", "# a comment\n"
                                   "com.example:0:20:near-low@hub.example\n"
                                   "com.example:21::near-high\n"
                                   "org:0:9:\n"
                                   "org:10:52:org@hub.example\n"
                                   "net:5:30:net@hub.example\n"
                                   ":0:26:low@hub.example\n");
    std::string input;
    for (const auto& a : addresses("split"))
        input += a + "\n";
    for (int i = 0; i < 120; ++i)
        input += "User" + std::to_string(i) + "@Mail" + std::to_string(i % 3) +
                 (i % 2 ? ".Example.COM\n" : ".example.net.\n");
    input += "solo@localhost\n\n# skipped\n";
    std::string out[2];
    for (bool side : {ours, real}) {
        auto r = qmtest::run({p.program(side, "ezmlm-split"), "-D", p.dir}, {.stdin_data = input});
        INFO((side ? "ezmlm-idx: " : "ours: ") << r.err);
        REQUIRE(r.exit_code == 0);
        out[side] = r.out;
    }
    // The real one writes a NUL byte before each ": " (it appends to the name after
    // terminating it); its man page, and ours, have "sublist@host: address". Ours is
    // right: a NUL in a text stream breaks sort and the perl script the man page gives.
    CHECK(out[ours].find('\0') == std::string::npos);
    std::erase(out[real], '\0');
    CHECK(sorted_lines(out[ours]).size() == 321);
    CHECK(out[ours] == out[real]);
    // Each kind of answer occurs, so the comparison covers them all.
    for (const char* target :
         {"near-low@hub.example:", "near-high@lists.example:", "org@hub.example:",
          "net@hub.example:", "low@hub.example:", "l@lists.example:"})
        CHECK(out[ours].find(target) != std::string::npos);
}

// ezmlm-archive side by side with the real one from ezmlm-idx 7.2.2 (support/ezmlm_idx.hpp):
// two copies of one list made by the real ezmlm-make -a -i, the same index files (written
// here, or by the real ezmlm-send as posts arrive), the same command line; the thread,
// subject and author files and dir/archnum must come out byte for byte the same, made
// anew and run after run as posts arrive.
#include "ezmlm_idx.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace {

struct ArchiveSideBySide {
    const qmtest::EzmlmIdx& ez = qmtest::ezmlm_idx();
    qmtest::TempDir tmp;
    std::string real_dir = tmp / "real";
    std::string our_dir = tmp / "ours";

    // -a archived and indexed, -i threaded (the editor runs ezmlm-archive).
    ArchiveSideBySide() {
        for (const auto* d : {&real_dir, &our_dir}) {
            const std::string name = fs::path(*d).filename();
            auto r = qmtest::run({ez.bin("ezmlm-make"), "-a", "-i", *d, tmp / (".qmail-" + name),
                                  "l", "lists.example"});
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
        }
    }
    void write_both(const std::string& name, const std::string& text) const {
        for (const auto* d : {&real_dir, &our_dir}) {
            fs::create_directories(fs::path(*d + "/" + name).parent_path());
            qmtest::spit(*d + "/" + name, text);
        }
    }
    // Runs the real one, then ours; both exit codes.
    [[nodiscard]] std::pair<int, int> run(std::vector<std::string> args) const {
        auto one = [&](const std::string& bin, const std::string& dir) {
            std::vector<std::string> argv{bin};
            argv.insert(argv.end(), args.begin(), args.end());
            argv.push_back(dir);
            auto r = qmtest::run(argv);
            UNSCOPED_INFO(bin << ": " << r.err);
            return r.exit_code;
        };
        return {one(ez.bin("ezmlm-archive"), real_dir), one(qmtest::bin("ezmlm-archive"), our_dir)};
    }
    // Every file ezmlm-archive writes, by name under dir.
    static std::map<std::string, std::string> outputs(const std::string& dir) {
        std::map<std::string, std::string> out;
        for (const char* kind : {"threads", "subjects", "authors"}) {
            const std::string top = dir + "/archive/" + kind;
            if (!fs::exists(top))
                continue;
            for (const auto& e : fs::recursive_directory_iterator(top))
                if (e.is_regular_file())
                    out[fs::relative(e.path(), dir).string()] = qmtest::slurp(e.path());
        }
        if (fs::exists(dir + "/archnum"))
            out["archnum"] = qmtest::slurp(dir + "/archnum");
        return out;
    }
    void check_same() const {
        const auto real = outputs(real_dir);
        const auto ours = outputs(our_dir);
        std::set<std::string> names;
        for (const auto& [name, text] : real)
            names.insert(name);
        for (const auto& [name, text] : ours)
            names.insert(name);
        for (const auto& name : names) {
            INFO(name);
            REQUIRE(real.contains(name));
            REQUIRE(ours.contains(name));
            CHECK(real.at(name) == ours.at(name));
        }
        CHECK_FALSE(real.empty());
    }
};

// A small deterministic generator (the same archive on every run).
struct Dice {
    unsigned long state;
    size_t next(size_t n) {
        state = state * 6364136223846793005UL + 1442695040888963407UL;
        return (state >> 33) % n;
    }
};

std::string random_hash(Dice& dice) {
    std::string h;
    for (int i = 0; i < 20; ++i)
        h += static_cast<char>('a' + dice.next(16));
    return h;
}

struct Archive {
    std::map<unsigned long, std::string> index; // block -> index file
    unsigned long last = 0;
};

// Index files as ezmlm-send writes them for posts 1..posts: a new thread every few posts,
// replies to recent ones mostly, a handful of authors, a month every nine posts over more
// than two years; with_gaps adds what real archives have too: a post without index
// entry, one whose date goes back a month, one with an ezmlm 0.53 entry (no author line)
// and one with an author line of the old "; name" kind.
Archive make_archive(unsigned long posts, bool with_gaps, unsigned long seed) {
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    Dice dice{seed};
    std::vector<std::pair<std::string, std::string>> threads = {
        {random_hash(dice), "first topic"}, {random_hash(dice), "caf\xc3\xa9 talk"}};
    std::vector<std::pair<std::string, std::string>> authors;
    for (const char* name : {"Reader One", "poster.far.example", "The Poster", "Someone Else"})
        authors.emplace_back(random_hash(dice), name);
    Archive a;
    a.last = posts;
    for (unsigned long n = 1; n <= posts; ++n) {
        if (n % 7 == 0)
            threads.emplace_back(random_hash(dice), "subject " + std::to_string(n));
        if (with_gaps && n == 17)
            continue;
        const size_t recent = threads.size() - 1 - dice.next(std::min<size_t>(4, threads.size()));
        const auto& t = dice.next(5) < 4 ? threads[recent] : threads[dice.next(threads.size())];
        const auto& who = authors[dice.next(authors.size())];
        unsigned long month = n / 9;
        if (with_gaps && n == 40)
            month -= 1;
        char date[64];
        std::snprintf(date, sizeof date, "%lu %s %lu 10:%02lu:00 -0000", n % 28 + 1,
                      months[month % 12], 2016 + month / 12, n % 60);
        const std::string reply = dice.next(3) == 0 ? "Re: " : "";
        std::string& file = a.index[n / 100];
        if (with_gaps && n == 61)
            file += std::to_string(n) + " " + t.first + " " + reply + t.second + "\n";
        else if (with_gaps && n == 62)
            file += std::to_string(n) + ": " + t.first + " " + t.second + "\n\t" + date + "; " +
                    who.second + "\n";
        else
            file += std::to_string(n) + ": " + t.first + " " + reply + t.second + "\n\t" + date +
                    ";" + who.first + " " + who.second + "\n";
    }
    return a;
}

void install(const ArchiveSideBySide& l, const Archive& a, unsigned long num) {
    for (const auto& [block, text] : a.index)
        l.write_both("archive/" + std::to_string(block) + "/index", text);
    l.write_both("num", std::to_string(num) + ":3\n");
}

bool peer_unavailable() {
    if (auto why = qmtest::ezmlm_idx_unavailable()) {
        qmtest::skip(*why);
        return true;
    }
    return false;
}

} // namespace

TEST_CASE("ezmlm-archive makes the files the real one makes", "[scenario][lists][ezmlm-idx]") {
    if (peer_unavailable())
        return;
    ArchiveSideBySide l;
    install(l, make_archive(250, true, 1), 250);
    // Anew (no dir/archnum), then again with -c, then a part again, the first 120 anew,
    // and on from there.
    for (const auto& args : {std::vector<std::string>{},
                             {"-c"},
                             {"-f", "150", "-t", "220"},
                             {"-c", "-s", "-t", "120"},
                             {"-F", "-T"}}) {
        std::string shown;
        for (const auto& a : args)
            shown += a + " ";
        INFO(shown);
        auto [real, ours] = l.run(args);
        CHECK(real == 0);
        CHECK(ours == real);
        l.check_same();
    }
}

TEST_CASE("ezmlm-archive keeps up post by post as the real one", "[scenario][lists][ezmlm-idx]") {
    if (peer_unavailable())
        return;
    ArchiveSideBySide l;
    const Archive a = make_archive(230, false, 2);
    // As the list's editor runs it after each post; then in bigger steps, as after a
    // while without it.
    for (unsigned long num = 1; num <= 130; ++num) {
        install(l, a, num);
        auto [real, ours] = l.run({});
        INFO(num);
        REQUIRE(real == 0);
        REQUIRE(ours == 0);
    }
    l.check_same();
    for (unsigned long num = 137; num <= 230; num += 31) {
        install(l, a, num);
        auto [real, ours] = l.run({});
        INFO(num);
        CHECK(real == 0);
        CHECK(ours == 0);
        l.check_same();
    }
    // A thread file holds a thread's lines from every run: its count adds up.
    CHECK(qmtest::slurp(l.our_dir + "/archnum") == "230\n");
}

TEST_CASE("ezmlm-archive follows posts sent by the real ezmlm-send as the real one",
          "[scenario][lists][ezmlm-idx]") {
    if (peer_unavailable())
        return;
    ArchiveSideBySide l;
    // The real ezmlm-send queues through $QMAILHOME/bin/qmail-queue: one that takes the
    // post and forgets it (the index is what counts here).
    const std::string home = l.tmp / "qmail";
    fs::create_directories(home + "/bin");
    qmtest::spit(home + "/bin/qmail-queue", "#!/bin/sh\ncat >/dev/null\ncat <&1 >/dev/null\n",
                 0755);
    static const char* months[] = {"Nov 2016", "Dec 2016", "Jan 2017", "Feb 2017"};
    static const char* froms[] = {"Ann <ann@far.example>", "bob-list@far.example (Bob)",
                                  "\"Carol C.\" <carol@else.example>", "Ann <ann-x@far.example>"};
    for (int n = 1; n <= 40; ++n) {
        const std::string subject = n % 6 == 0   ? "=?UTF-8?Q?caf=C3=A9_talk?="
                                    : n % 4 == 0 ? "Re: topic " + std::to_string(n % 3)
                                                 : "topic " + std::to_string(n % 5);
        const std::string post = "Received: (qmail 1 invoked by uid 1); " +
                                 std::to_string(n % 27 + 1) + " " + months[n / 11] +
                                 " 10:00:00 -0000\nFrom: " + froms[n % 4] +
                                 "\nSubject: " + subject + "\n\nbody " + std::to_string(n) + "\n";
        qmtest::spit(l.tmp / "post", post);
        auto sent = qmtest::run({"/bin/sh", "-c", "exec \"$@\" < \"$0\"", l.tmp / "post",
                                 l.ez.bin("ezmlm-send"), l.real_dir},
                                {.env = {{"QMAILHOME", home}, {"SENDER", "ann@far.example"}}});
        INFO(n << ": " << sent.err);
        REQUIRE(sent.exit_code == 0);
        // The same index and num for ours.
        for (const char* f : {"num", "archive/0/index"})
            l.write_both(f, qmtest::slurp(l.real_dir + "/" + f));
        auto [real, ours] = l.run({});
        REQUIRE(real == 0);
        REQUIRE(ours == 0);
    }
    l.check_same();
    CHECK(qmtest::list_dir(l.our_dir + "/archive/threads").size() == 4);
}

TEST_CASE("ezmlm-archive refuses and warns as the real one", "[scenario][lists][ezmlm-idx]") {
    if (peer_unavailable())
        return;
    ArchiveSideBySide l;
    // No post yet: nothing to index, a permanent failure for both.
    auto [real_empty, ours_empty] = l.run({});
    CHECK(real_empty == 100);
    CHECK(ours_empty == 100);
    CHECK_FALSE(fs::exists(l.our_dir + "/archnum"));

    install(l, make_archive(60, false, 3), 60);
    auto [real, ours] = l.run({"-t", "30"});
    CHECK(real == 0);
    CHECK(ours == 0);
    l.check_same();
    // A subject file that lost its first line and a thread line without its count: the
    // rest is written all the same, with a warning and exit 99.
    for (const auto* d : {&l.real_dir, &l.our_dir}) {
        for (const auto& e : fs::recursive_directory_iterator(*d + "/archive/subjects"))
            if (e.is_regular_file()) {
                qmtest::spit(e.path(), "bad\n");
                break;
            }
        const std::string threads = *d + "/archive/threads";
        const std::string first = threads + "/" + qmtest::list_dir(threads).front();
        std::string text = qmtest::slurp(first);
        const auto bracket = text.find(" [");
        REQUIRE(bracket != std::string::npos);
        text.replace(bracket, 2, "  ");
        qmtest::spit(first, text);
    }
    auto [real_warn, ours_warn] = l.run({"-f", "20"});
    CHECK(real_warn == 99);
    CHECK(ours_warn == 99);
    l.check_same();
    // A bad index line (too short for a subject hash): refused, permanently.
    l.write_both("archive/0/index",
                 "1: abc\n\t1 Jan 2016 10:00:00 -0000;" + std::string(20, 'b') + " Someone\n");
    auto [real_bad, ours_bad] = l.run({"-c"});
    CHECK(real_bad == 100);
    CHECK(ours_bad == 100);
}

// ezmlm-make -C: a list made from an ezmlmrc by our ezmlm-make is the list the real
// ezmlm-idx 7.2.2's ezmlm-make makes from the same file (every file's bytes, every
// directory, every dot-qmail link; only the programs' directory in the .qmail lines and
// the random key differ), for new lists with various switches, -c's .ezmlmrc, and edits.
// Our -e is 7.x's -+ (switches not given keep their value).
#include "ezmlm_idx.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
        text.replace(at, from.size(), to);
    return text;
}

// Ours adds the web archive's indexer after the line that archives (7.x has no web
// archive); the rest of each file is 7.x's.
std::string without_web_index(const std::string& text) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        end = end == std::string::npos ? text.size() : end + 1;
        const std::string_view line(text.data() + pos, end - pos);
        if (line.find("/ezmlm-webindex' ") == std::string_view::npos)
            out += line;
        pos = end;
    }
    return out;
}

// Everything under home (the dot links and the list), in a form where the two sides
// compare: paths relative to home, the programs' directories and home itself named.
std::string snapshot(const std::string& home) {
    const std::string ours = fs::path(qmtest::bin("ezmlm-make")).parent_path();
    const std::string real = fs::path(qmtest::ezmlm_idx().bin("ezmlm-make")).parent_path();
    auto normal = [&](std::string text) {
        text = replace_all(std::move(text), real, "BIN");
        text = replace_all(std::move(text), ours, "BIN");
        return replace_all(std::move(text), home, "HOME");
    };
    std::map<std::string, std::string> entries;
    for (const auto& e : fs::recursive_directory_iterator(home)) {
        const std::string rel = fs::relative(e.path(), home);
        if (e.is_symlink())
            entries[rel] = "-> " + normal(fs::read_symlink(e.path()));
        else if (e.is_directory())
            entries[rel] = "/";
        else if (rel.ends_with("/key"))
            entries[rel] = "a key"; // random on both sides
        else if (rel.ends_with("/lock") && fs::file_size(e.path()) == 0 &&
                 fs::path(rel).parent_path().has_parent_path())
            continue; // ours locks each subscriber database with its own (made on first use)
        else if (rel.ends_with("/ezmlm7cookies"))
            continue; // ours: an edit of a list with dir/ezmlmrc opens 7.x's cookie window
        else
            entries[rel] = without_web_index(normal(qmtest::slurp(e.path())));
    }
    std::string out;
    for (const auto& [name, what] : entries)
        out += "== " + name + "\n" + what + "\n";
    return out;
}

struct Both {
    const qmtest::EzmlmIdx& ez = qmtest::ezmlm_idx();
    qmtest::TempDir tmp;
    std::string home[2] = {tmp / "ours", tmp / "real"};
    Both() {
        fs::create_directories(home[0]);
        fs::create_directories(home[1]);
    }
    // ezmlm-make on both sides with the same words; $HOME in a word is each side's home,
    // $RC the real ezmlmrc. edit_switch: 7.x's -+ is our -e.
    void make(const std::vector<std::string>& words) const {
        for (int side : {0, 1}) {
            std::vector<std::string> argv{side ? ez.bin("ezmlm-make") : qmtest::bin("ezmlm-make")};
            for (const auto& w : words) {
                std::string word = replace_all(w, "$HOME", home[side]);
                word = replace_all(std::move(word), "$RC", ez.etc() + "/default");
                if (word == "-+" && side == 0)
                    word = "-e";
                argv.push_back(word);
            }
            auto r = qmtest::run(argv);
            INFO((side ? "ezmlm-idx: " : "ours: ") << r.err);
            REQUIRE(r.exit_code == 0);
        }
    }
    void check_same() const { CHECK(snapshot(home[0]) == snapshot(home[1])); }
};

} // namespace

TEST_CASE("ezmlm-make -C makes the list the real ezmlm-make makes from that ezmlmrc",
          "[scenario][lists][ezmlm-idx]") {
    if (qmtest::skip_without_ezmlm_idx())
        return;
    SECTION("the default switches") {
        Both b;
        b.make({"-C", "$RC", "$HOME/l", "$HOME/.qmail-l", "l", "lists.example"});
        b.check_same();
        // The things a list needs are there: its links and programs.
        CHECK(fs::is_symlink(b.home[0] + "/.qmail-l-default"));
        CHECK(qmtest::slurp(b.home[0] + "/l/manager").find(qmtest::bin("ezmlm-manage")) !=
              std::string::npos);
        // Each file that archives posts indexes them for the web right after ezmlm-archive.
        for (const char* file : {"/l/editor", "/l/moderator", "/l/confirmer"}) {
            INFO(file);
            if (std::string(file) != "/l/editor" && !fs::exists(b.home[0] + file))
                continue; // 7.x makes these only for lists that need them
            const std::string text = qmtest::slurp(b.home[0] + file);
            const size_t archive = text.find("/ezmlm-archive '");
            const size_t index = text.find("/ezmlm-webindex' '" + b.home[0] + "/l' || exit 0\n");
            REQUIRE(archive != std::string::npos);
            REQUIRE(index != std::string::npos);
            CHECK(text.find('\n', archive) + 1 == text.rfind('\n', index) + 1);
        }
    }
    SECTION("moderated subscribers-only digest with a From line and a digest code") {
        Both b;
        b.make({"-C", "$RC", "-mudxtf", "-3", "Boss <boss@lists.example>", "$HOME/l",
                "$HOME/.qmail-ext1-ext2-l", "ext1-ext2-l", "lists.example", "c0de"});
        b.check_same();
    }
    SECTION("a sublist with an owner and remote administration") {
        Both b;
        b.make({"-C", "$RC", "-rsl", "-0", "main@hub.example", "-5", "owner@lists.example", "-8",
                "/some/mod/dir", "$HOME/sub", "$HOME/.qmail-sub", "sub", "lists.example"});
        b.check_same();
    }
    SECTION("an edit keeping the switches not given") {
        Both b;
        b.make({"-C", "$RC", "-mu", "$HOME/l", "$HOME/.qmail-l", "l", "lists.example"});
        b.make({"-C", "$RC", "-+", "-Mt", "$HOME/l"});
        b.check_same();
        CHECK_FALSE(fs::exists(b.home[0] + "/l/modpost"));
        CHECK(fs::exists(b.home[0] + "/l/subpostonly"));
        CHECK(fs::exists(b.home[0] + "/l/addtrailer"));
    }
    SECTION("-c takes the .ezmlmrc beside the dot file") {
        Both b;
        for (const auto& h : b.home)
            qmtest::spit(h + "/.ezmlmrc", "7.2.2\n</outlocal/>\n<#L#>\n</outhost/>\n<#H#>\n"
                                          "</+text/>\n</+allow/>\n</+deny/>\n</+digest/>\n</+mod/"
                                          ">\n</editor/>\n|<#B#>/ezmlm-send '<#D#>'\n"
                                          "</:/editor/>\n</flagsword/>\n<#F#>\n");
        b.make({"-c", "-m", "$HOME/l", "$HOME/.qmail-l", "l", "lists.example"});
        b.check_same();
        CHECK(qmtest::slurp(b.home[0] + "/l/flagsword") == "-aBcDEFGHIJKLmNOpQRSTUVWXYZ\n");
    }
}

TEST_CASE("ezmlm-make -C refuses a bad ezmlmrc and leaves no list", "[scenario][lists]") {
    qmtest::TempDir tmp;
    qmtest::spit(tmp / "rc", "7.2.2\n</outlocal/>\n<#L#>\n</../escape/>\nx\n");
    auto r = qmtest::run({qmtest::bin("ezmlm-make"), "-C", tmp / "rc", tmp / "l", tmp / ".qmail-l",
                          "l", "lists.example"});
    CHECK(r.exit_code == 111);
    CHECK(r.err.find("line 4") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "l"));
    CHECK_FALSE(fs::exists(tmp / "escape"));
    auto missing = qmtest::run({qmtest::bin("ezmlm-make"), "-C", tmp / "none", tmp / "l",
                                tmp / ".qmail-l", "l", "lists.example"});
    CHECK(missing.exit_code == 100);
    CHECK(missing.err.find("does not exist") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "l"));
}

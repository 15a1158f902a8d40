// The ezmlmrc interpreter (ezmlm-make -C): tags, flag conditions, substitutions, E files
// while editing, and refusals. The real ezmlm-idx's ezmlm-make is compared with ours on
// its own ezmlmrc in tests/scenario/lists/ezmlmrc_test.cpp.
#include "qm/lists/manage/ezmlmrc.hpp"

#include <catch2/catch.hpp>

#include <map>

using qm::lists::EzmlmrcStep;
using qm::lists::EzmlmrcValues;
using qm::lists::interpret_ezmlmrc;
using Kind = EzmlmrcStep::Kind;

namespace {

EzmlmrcValues values(const std::string& on = "ap") {
    EzmlmrcValues v;
    for (char c : on)
        v.flags[static_cast<size_t>(c - 'a')] = true;
    v.bin = "/opt/bin";
    v.dir = "/l/team";
    v.dot = "/home/joe/.qmail-team";
    v.local = "joe-team";
    v.host = "lists.example";
    v.code = "1234";
    return v;
}

bool none_exist(const std::string&) {
    return false;
}

// name -> text of every write step (the last one of a name wins, as on disk).
std::map<std::string, std::string> files(const qm::lists::EzmlmrcScript& s) {
    std::map<std::string, std::string> out;
    for (const auto& step : s.steps)
        if (step.kind == Kind::write)
            out[step.name] = step.text;
    return out;
}

} // namespace

TEST_CASE("ezmlmrc tags write remove link and make directories", "[lists][ezmlmrc]") {
    auto s = interpret_ezmlmrc("7.2.2 - version\n"
                               "ignored before any tag\n"
                               "</-config/>\n"
                               "</+archive/>\n"
                               "</+digest/bounce/>\n"
                               "</:-owner/owner/>\n"
                               "</:/editor/>\n"
                               "</outhost/>\n"
                               "<#H#>\n"
                               "# a comment, even inside a file\n"
                               "</editor/>\n"
                               "|<#B#>/ezmlm-send '<#D#>'\n"
                               "a last line without a newline is dropped",
                               values(), none_exist);
    REQUIRE(s);
    CHECK(s->version_matches);
    REQUIRE(s->steps.size() == 7);
    CHECK(s->steps[0].kind == Kind::remove);
    CHECK(s->steps[0].name == "/config");
    CHECK(s->steps[1].kind == Kind::make_dir);
    CHECK(s->steps[1].name == "/archive");
    CHECK(s->steps[2].name == "/digest/bounce");
    CHECK(s->steps[3].kind == Kind::link);
    CHECK(s->steps[3].name == "-owner");
    CHECK(s->steps[3].target == "/owner");
    CHECK(s->steps[4].name.empty());
    CHECK(s->steps[4].target == "/editor");
    CHECK(files(*s) ==
          std::map<std::string, std::string>{{"/outhost", "lists.example\n"},
                                             {"/editor", "|/opt/bin/ezmlm-send '/l/team'\n"}});
}

TEST_CASE("ezmlmrc flag conditions select what is made", "[lists][ezmlmrc]") {
    const std::string rc = "7.2\n"
                           "</archived#a/>\n"
                           "</modpost#m/>\n"
                           "</notmod#M/>\n"
                           "</both#au/>\n"
                           "</neg#^m/>\n"
                           "</negup#^M/>\n"
                           "</from#3/>\n"
                           "<#3#>\n"
                           "</nofrom#^3/>\n"
                           "</list/>\n"
                           "one\n"
                           "</#m/>\n"
                           "moderated\n"
                           "</#M/>\n"
                           "open\n"
                           "</#/>\n"
                           "always\n";
    auto plain = interpret_ezmlmrc(rc, values("a"), none_exist);
    REQUIRE(plain);
    auto f = files(*plain);
    CHECK(f.contains("/archived"));
    CHECK_FALSE(f.contains("/modpost"));
    CHECK(f.contains("/notmod"));
    CHECK_FALSE(f.contains("/both"));
    CHECK(f.contains("/neg"));
    CHECK_FALSE(f.contains("/negup"));
    CHECK_FALSE(f.contains("/from"));
    CHECK(f.contains("/nofrom"));
    CHECK(f["/list"] == "one\nopen\nalways\n");

    auto v = values("amu");
    v.args[3] = "Boss <b@x.example>";
    auto moderated = interpret_ezmlmrc(rc, v, none_exist);
    REQUIRE(moderated);
    f = files(*moderated);
    CHECK(f.contains("/modpost"));
    CHECK(f.contains("/both"));
    CHECK(f["/from"] == "Boss <b@x.example>\n");
    CHECK_FALSE(f.contains("/nofrom"));
    CHECK(f["/list"] == "one\nmoderated\nalways\n");
}

TEST_CASE("ezmlmrc substitutions", "[lists][ezmlmrc]") {
    auto v = values("ap");
    v.rc_name = "/etc/rc";
    v.args[0] = "main@hub.example";
    v.args[1] = "x1";
    auto s = interpret_ezmlmrc("7.2\n</f/>\n<#B#>|<#C#>|<#D#>|<#H#>|<#L#>|<#T#>|<#X#>\n"
                               "<#0#>|<#1#>|<#2#>|<#9#>\n<#l#> <#A#> <#F#> <# <#x <##>\n",
                               v, none_exist);
    REQUIRE(s);
    CHECK(files(*s)["/f"] == "/opt/bin|1234|/l/team|lists.example|joe-team|"
                             "/home/joe/.qmail-team|/etc/rc\n"
                             "main@hub.example|x1||\n"
                             "<#l#> <#A#> -aBCDEFGHIJKLMNOpQRSTUVWXYZ <# <#x <##>\n");
    CHECK(qm::lists::flags_word(v.flags) == "-aBCDEFGHIJKLMNOpQRSTUVWXYZ");
}

TEST_CASE("ezmlmrc E files are kept while editing unless forced", "[lists][ezmlmrc]") {
    const std::string rc = "7.2\n</headeradd#E/>\nnew\n</prefix#eF/>\n</-gone#eA/>\n";
    auto exists = [](const std::string& name) { return name == "/headeradd"; };
    auto fresh = values("a");
    auto made = interpret_ezmlmrc(rc, fresh, exists);
    REQUIRE(made);
    CHECK(files(*made).contains("/headeradd"));    // a new list: E does not matter
    CHECK_FALSE(files(*made).contains("/prefix")); // e: only while editing

    auto edit = values("ae");
    edit.edit = true;
    auto edited = interpret_ezmlmrc(rc, edit, exists);
    REQUIRE(edited);
    CHECK_FALSE(files(*edited).contains("/headeradd"));
    CHECK(files(*edited).contains("/prefix"));
    edit.force = true;
    auto forced = interpret_ezmlmrc(rc, edit, exists);
    REQUIRE(forced);
    CHECK(files(*forced)["/headeradd"] == "new\n");
    // An E file missing while editing is written.
    edit.force = false;
    auto missing = interpret_ezmlmrc(rc, edit, none_exist);
    REQUIRE(missing);
    CHECK(files(*missing)["/headeradd"] == "new\n");
}

TEST_CASE("a file closed by another tag is written afresh when reopened", "[lists][ezmlmrc]") {
    auto s = interpret_ezmlmrc("7.2\n</a/>\none\n</b/>\nb\n</a/>\ntwo\n", values(), none_exist);
    REQUIRE(s);
    CHECK(files(*s)["/a"] == "two\n");
    // A directory or link tag between does not close the file: </#/> goes on with it.
    auto t = interpret_ezmlmrc("7.2\n</a/>\none\n</+d/>\nlost\n</#/>\ntwo\n", values(), none_exist);
    REQUIRE(t);
    CHECK(files(*t)["/a"] == "one\ntwo\n");
}

TEST_CASE("bad ezmlmrc tags are refused naming the line", "[lists][ezmlmrc]") {
    for (const char* bad :
         {"7.2\n</../etc/passwd/>\n", "7.2\n</a.b/>\n", "7.2\n</noend>\n", "7.2\n</a#m>/>\n",
          "7.2\n</a#m\n", "7.2\n</:nolink/>\n", "7.2\n</#/>\nno file\n", ""}) {
        INFO(bad);
        auto s = interpret_ezmlmrc(bad, values(), none_exist);
        REQUIRE_FALSE(s);
        CHECK(s.error().permanent());
    }
    auto s = interpret_ezmlmrc("7.2\n</ok/>\n</a.b/>\n", values(), none_exist);
    REQUIRE_FALSE(s);
    CHECK(s.error().text.find("line 3") != std::string::npos);
    auto old = interpret_ezmlmrc("0.40\n</ok/>\n", values(), none_exist);
    REQUIRE(old);
    CHECK_FALSE(old->version_matches);
}

TEST_CASE("the dot file's extensions", "[lists][ezmlmrc]") {
    using E = std::array<std::string, 2>;
    CHECK(qm::lists::dot_extensions("/h/.qmail-team") == E{"", ""});
    CHECK(qm::lists::dot_extensions("/h/.qmail-a-team") == E{"a", ""});
    CHECK(qm::lists::dot_extensions("/h/.qmail-a-b-team") == E{"a", "b"});
    CHECK(qm::lists::dot_extensions("/h-x/.qmail") == E{"", ""});
}

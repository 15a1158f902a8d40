// ezmlm-idx 7's text language (qm/lists/core/text_render.hpp), rule by rule, as its
// lib/copy.c applies them; the scenario test ezmlm_texts_test.cpp compares whole texts
// with the real ezmlm-manage.
#include "qm/lists/core/reply.hpp"
#include "qm/lists/core/text_render.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

using qm::lists::render_ezmlm_text;
using qm::lists::TextValues;

// Flags s and m set, everything else not.
bool s_and_m(char c) {
    return c == 's' || c == 'm' || c == 'S' || c == 'M';
}

TextValues confirm_values() {
    TextValues v;
    v.tags = {{'l', "team"},
              {'L', "team"},
              {'h', "lists.example"},
              {'d', "/srv/lists/team"},
              {'A', "joe@far.example"},
              {'R', "team-sc.1700000000.0123456789abcdefghij-joe=far.example@lists.example"}};
    v.derive("team");
    return v;
}

void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

} // namespace

TEST_CASE("each tag of ezmlm-idx 7 renders its value", "[lists][texts]") {
    const auto v = confirm_values();
    auto one = [&](const std::string& tag) { return render_ezmlm_text(tag, v, s_and_m); };
    CHECK(one("<#A#>") == "joe@far.example\n");
    CHECK(one("<#a#>") == "joe\n");
    CHECK(one("<#R#>") ==
          "team-sc.1700000000.0123456789abcdefghij-joe=far.example@lists.example\n");
    CHECK(one("<#r#>") == "team-sc.1700000000.0123456789abcdefghij-joe=far.example\n");
    CHECK(one("<#c#>") == "sc.1700000000.0123456789abcdefghij-joe=far.example\n");
    CHECK(one("<#X#>") == "sc.\n");
    CHECK(one("<#T#>") == "1700000000\n");
    CHECK(one("<#C#>") == "0123456789abcdefghij\n");
    CHECK(one("<#l#>") == "team\n");
    CHECK(one("<#L#>") == "team\n");
    CHECK(one("<#h#>") == "lists.example\n");
    CHECK(one("<#H#>") == "lists.example\n");
    CHECK(one("<#d#>") == "/srv/lists/team\n");
    CHECK(one("<#t#>") == "joe=far.example\n");
    // A known tag the program did not set: ezmlm-idx's placeholders.
    CHECK(one("<#n#>") == "?????\n");
    TextValues bare;
    CHECK(render_ezmlm_text("<#A#> <#R#> <#X#> <#C#>", bare, s_and_m) ==
          "????? ????? ??. ????????????????????\n");
    // Digits are parameters of messages; in a text they vanish.
    CHECK(one("[<#1#>]") == "[]\n");
    // Unknown letters are removed; <#f#> is ours and vanishes unless set.
    CHECK(one("a<#Z#>b<#f#>c") == "abc\n");
    TextValues with_file = v;
    with_file.tags['f'] = "info";
    CHECK(render_ezmlm_text("text/<#f#>", with_file, s_and_m) == "text/info\n");
}

TEST_CASE("broken tags are copied as they are", "[lists][texts]") {
    const auto v = confirm_values();
    CHECK(render_ezmlm_text("<#l <# <#l# <#ll#> #> <##> <#", v, s_and_m) ==
          "<#l <# <#l# <#ll#> #> <##> <#\n");
    CHECK(render_ezmlm_text("<<#l#>>", v, s_and_m) == "<team>\n");
    // A local part that needs quoting is quoted, as ezmlm-idx quotes outlocal.
    TextValues odd;
    odd.tags['l'] = "my list";
    CHECK(render_ezmlm_text("<#l#>", odd, s_and_m) == "\"my list\"\n");
}

TEST_CASE("conditional lines follow the list's flags", "[lists][texts]") {
    const auto v = confirm_values();
    const std::string text = "always\n"
                             "<=s=>\n"
                             "moderated subscription\n"
                             "<=q=>\n"
                             "q is not set here\n"
                             "<=sm=>\n"
                             "both s and m\n"
                             "<=SM=>\n"
                             "upper case reads the same letters\n"
                             "<==>\n"
                             "unconditional again\n"
                             "<=s-=>\n"
                             "a character that is no flag is never set\n"
                             "<=x=>\n"
                             "# a comment, never sent\n"
                             "!R is sent whatever the condition\n"
                             "<==>\n"
                             "!A\n"
                             "end";
    CHECK(render_ezmlm_text(text, v, s_and_m) ==
          "always\n"
          "moderated subscription\n"
          "both s and m\n"
          "upper case reads the same letters\n"
          "unconditional again\n"
          "   team-sc.1700000000.0123456789abcdefghij-joe=far.example@lists.example\n"
          "   joe@far.example\n"
          "end\n");
    // Only a whole line is a condition; "<=" inside a line is text.
    CHECK(render_ezmlm_text("x <=s=>\n<=s=> y\n", v, s_and_m) == "x <=s=>\n<=s=> y\n");
    // An empty text renders empty; a lone "!" is text.
    CHECK(render_ezmlm_text("", v, s_and_m).empty());
    CHECK(render_ezmlm_text("!\n!x\n", v, s_and_m) == "!\n!x\n");
}

TEST_CASE("subjects come from text/messages as ezmlm-idx 7 keys them", "[lists][texts]") {
    CHECK(qm::lists::messages_entry("# c\nSUB_HELP:Aide pour <#L#>\n", "SUB_HELP") ==
          "Aide pour <#L#>");
    CHECK(qm::lists::messages_entry("sub_help:x\n", "SUB_HELP") == "x");
    CHECK_FALSE(qm::lists::messages_entry("SUB_HELPX:x\nSUB_HEL:y\n", "SUB_HELP"));

    qmtest::TempDir tmp;
    const std::string dir = tmp.path() + "/l";
    std::filesystem::create_directories(dir + "/text");
    const qm::lists::ListInfo list{dir, "team", "lists.example"};
    auto builtin = qm::lists::list_message(list, "SUB_WELCOME");
    REQUIRE(builtin);
    CHECK(*builtin == "welcome to team@lists.example");
    write(dir + "/text/messages", "SUB_WELCOME:Bienvenue sur <#L#>@<#H#> (<#0#>, <#1#>, <#A#>)\n");
    auto own = qm::lists::list_message(list, "SUB_WELCOME", {"one"});
    REQUIRE(own);
    // No target address in a header: <#A#> is left out, as ezmlm-idx refuses it there.
    CHECK(*own == "Bienvenue sur team@lists.example (SUB_WELCOME, one, )");
}

TEST_CASE("texts are looked up where ezmlm-idx 7 looks", "[lists][texts]") {
    qmtest::TempDir tmp;
    const std::string dir = tmp.path() + "/l";
    const std::string lang = tmp.path() + "/etc/fr";
    std::filesystem::create_directories(dir + "/text");
    std::filesystem::create_directories(lang + "/text");
    const qm::lists::ListInfo list{dir, "team", "lists.example"};
    write(lang + "/text/info", "infos de <#l#>\n");
    // No ezmlmrc: our built-in text.
    auto t = qm::lists::render_text(list, "info", {});
    REQUIRE(t);
    CHECK(t->find("infos") == std::string::npos);
    // ezmlmrc names the language directory: its text/.
    write(dir + "/ezmlmrc", lang + "\n");
    t = qm::lists::render_text(list, "info", {});
    REQUIRE(t);
    CHECK(*t == "infos de team\n");
    auto has = qm::lists::has_text(list, "info");
    REQUIRE(has);
    CHECK(*has);
    // The list's own text/ first.
    write(dir + "/text/info", "<=p=>\npublic\n<=s=>\nmoderated\n");
    write(dir + "/public", "");
    t = qm::lists::render_text(list, "info", {});
    REQUIRE(t);
    CHECK(*t == "public\n");
}

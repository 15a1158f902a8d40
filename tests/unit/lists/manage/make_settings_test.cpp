// The settings files as ezmlm-idx 7 reads them (dir/flags, config's F: line, the flag
// files) and how ezmlm-make -e moves a list this platform made before it followed
// ezmlm-idx 7 (its flags' i meant indexed, its headeradd held no List-* fields).
#include "../make_request.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/manage/make.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;

TEST_CASE("flags and config's F line overrule the flag files as in ezmlm-idx 7",
          "[lists][make][settings]") {
    qmtest::TempDir tmp;
    const std::string d = tmp.path();
    qmtest::spit(d + "/public", "");
    qmtest::spit(d + "/threaded", "");
    CHECK(qm::lists::has_flag(d, "public"));
    CHECK(qm::lists::flag_letter(d, 'i'));
    CHECK_FALSE(qm::lists::has_flag(d, "remote"));
    // No flag file: e, q, v and z are on; d looks at the digest directory, as 7.x does.
    CHECK(qm::lists::flag_letter(d, 'q'));
    CHECK_FALSE(qm::lists::flag_letter(d, 'd'));

    // config's F: line (ezmlm-idx before 5), comments and other lines around it.
    qmtest::spit(d + "/config", "# made by ezmlm-make\nT:/home/joe/.qmail-l\nF:-aPr\nL:l\n");
    CHECK_FALSE(qm::lists::has_flag(d, "public"));
    CHECK(qm::lists::has_flag(d, "remote"));
    CHECK(qm::lists::has_flag(d, "threaded")); // i not stated: the file decides
    CHECK(qm::lists::has_flag(d, "archived"));
    CHECK_FALSE(qm::lists::has_flag(d, "indexed")); // no letter stands for it: the file
    qmtest::spit(d + "/indexed", "");
    CHECK(qm::lists::has_flag(d, "indexed"));

    // flags wins over config.
    qmtest::spit(d + "/flags", "-ApIR\n");
    CHECK(qm::lists::has_flag(d, "public"));
    CHECK_FALSE(qm::lists::has_flag(d, "remote"));
    CHECK_FALSE(qm::lists::has_flag(d, "threaded"));
    CHECK_FALSE(qm::lists::has_flag(d, "archived"));
    CHECK(qm::lists::flag_letter(d, 'q'));
    auto stated = qm::lists::read_stated_flags(d);
    REQUIRE(stated);
    CHECK_FALSE(stated->from_config);
    CHECK_FALSE(stated->written_by_old_make);
}

TEST_CASE("the flags this platform wrote before keep their meaning", "[lists][make][settings]") {
    qmtest::TempDir tmp;
    const std::string d = tmp.path();
    // -ai by the old ezmlm-make: i was indexed. 7.x would read it as threaded.
    qmtest::spit(d + "/flags", "aBDFGHiJLMNOpRSTUWY\n");
    auto stated = qm::lists::read_stated_flags(d);
    REQUIRE(stated);
    CHECK(stated->written_by_old_make);
    CHECK_FALSE(stated->letter['i' - 'a'].has_value());
    CHECK_FALSE(qm::lists::has_flag(d, "threaded"));
    CHECK(qm::lists::has_flag(d, "archived"));
    CHECK_FALSE(qm::lists::has_flag(d, "modpost"));
}

TEST_CASE("ezmlm-make -e moves a list the old ezmlm-make made to ezmlm-idx 7's settings",
          "[lists][make][settings]") {
    qmtest::TempDir tmp;
    auto r = liststest::new_list(tmp, "/opt/ezmlm bin");
    r.set['u'] = true;
    REQUIRE(qm::lists::make_list(r));
    const std::string d = tmp / "team";
    // What the old ezmlm-make left for -aiu: flags with i for indexed, no threaded, num
    // without K, headeradd without List-* fields.
    qmtest::spit(d + "/flags", "aBDFGHiJLMNOpRSTuWY\n");
    qmtest::spit(d + "/headeradd", "Precedence: bulk\n");
    qmtest::spit(d + "/num", "7\n");
    REQUIRE(qm::lists::make_list(liststest::edit_list(d, "/opt/ezmlm bin")));
    CHECK_FALSE(fs::exists(d + "/flags"));
    CHECK(fs::exists(d + "/archived"));
    CHECK(fs::exists(d + "/indexed"));
    CHECK_FALSE(fs::exists(d + "/threaded"));
    CHECK(fs::exists(d + "/subpostonly"));
    CHECK(qmtest::slurp(d + "/headeradd") == qm::lists::default_headeradd(false));
    CHECK(qmtest::slurp(d + "/num") == "7\n"); // ezmlm-send adds K with the next post

    // An owner's own headeradd stays; -i is threaded, -A takes indexed away with archived.
    qmtest::spit(d + "/headeradd", "X-Ours: yes\n");
    auto edit = liststest::edit_list(d, "/opt/ezmlm bin");
    edit.set['i'] = true;
    edit.set['a'] = false;
    REQUIRE(qm::lists::make_list(edit));
    CHECK(qmtest::slurp(d + "/headeradd") == "X-Ours: yes\n");
    CHECK(fs::exists(d + "/threaded"));
    CHECK_FALSE(fs::exists(d + "/archived"));
    CHECK_FALSE(fs::exists(d + "/indexed"));
}

TEST_CASE("a moderated subscribers-only list keeps strangers' held posts",
          "[lists][make][settings]") {
    qmtest::TempDir tmp;
    auto r = liststest::new_list(tmp, "/opt/ezmlm bin");
    r.set['m'] = true;
    r.set['u'] = true;
    REQUIRE(qm::lists::make_list(r));
    const std::string d = tmp / "team";
    CHECK(fs::exists(d + "/noreturnposts"));
    CHECK(qmtest::slurp(d + "/editor").find("ezmlm-gate' '" + d + "' . digest allow mod\n") !=
          std::string::npos);
    auto edit = liststest::edit_list(d, "/opt/ezmlm bin");
    edit.set['u'] = false;
    REQUIRE(qm::lists::make_list(edit));
    CHECK_FALSE(fs::exists(d + "/noreturnposts"));
}

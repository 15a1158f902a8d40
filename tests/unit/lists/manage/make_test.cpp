#include "../make_request.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/manage/make.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace {

qm::lists::MakeRequest request(const qmtest::TempDir& tmp) {
    return liststest::new_list(tmp, "/opt/ezmlm bin");
}

} // namespace

TEST_CASE("ezmlm-make writes ezmlm's layout and the dot-qmail links", "[lists][make]") {
    qmtest::TempDir tmp;
    REQUIRE(qm::lists::make_list(request(tmp)));
    const std::string d = tmp / "team";
    for (auto [file, text] :
         {std::pair<const char*, const char*>{"inlocal", "joe-team\n"},
          {"inhost", "lists.example\n"},
          {"outlocal", "joe-team\n"},
          {"outhost", "lists.example\n"},
          {"num", "0:0\n"},
          {"mailinglist", "contact joe-team-help@lists.example; run by ezmlm\n"},
          {"indexed", ""},
          {"public", ""},
          {"archived", ""},
          {"owner", "/dummy"}}) {
        INFO(file);
        REQUIRE(fs::exists(d + "/" + file));
        if (std::string(file) != "owner")
            CHECK(qmtest::slurp(d + "/" + file) == text);
    }
    // As ezmlm-idx 7.2.2: no flags file, the flag files say it all.
    CHECK_FALSE(fs::exists(d + "/flags"));
    CHECK_FALSE(fs::exists(d + "/threaded"));
    CHECK(qmtest::slurp(d + "/headeradd") == qm::lists::default_headeradd(false));
    CHECK(qmtest::slurp(d + "/owner") == d + "/Mailbox\n");
    const std::string warn = "|'/opt/ezmlm bin/ezmlm-warn' '" + d + "' || exit 0\n";
    CHECK(qmtest::slurp(d + "/editor") == "|'/opt/ezmlm bin/ezmlm-reject' '" + d +
                                              "'\n|'/opt/ezmlm bin/ezmlm-send' '" + d + "'\n" +
                                              warn);
    CHECK_FALSE(fs::exists(d + "/moderator"));
    CHECK(fs::is_directory(d + "/mod/pending"));
    // ezmlm-get answers archive requests, ezmlm-split hands requests to sublists and
    // ezmlm-request answers list-request before ezmlm-manage sees them.
    CHECK(qmtest::slurp(d + "/manager") ==
          "|'/opt/ezmlm bin/ezmlm-get' '" + d + "'\n|'/opt/ezmlm bin/ezmlm-split' '" + d +
              "'\n|'/opt/ezmlm bin/ezmlm-request' '" + d + "'\n|'/opt/ezmlm bin/ezmlm-manage' '" +
              d + "'\n" + warn);
    CHECK_FALSE(fs::exists(d + "/sublist"));
    CHECK(qmtest::slurp(d + "/headerremove") == qm::lists::default_headerremove(false));
    CHECK(qmtest::slurp(d + "/headerremove").find("\nlist-id\n") != std::string::npos);
    CHECK_FALSE(fs::exists(d + "/dignum"));
    CHECK(qmtest::slurp(d + "/key").size() == 64);
    CHECK((fs::status(d + "/key").permissions() & fs::perms::group_read) == fs::perms::none);
    for (const char* sub : {"subscribers", "archive", "bounce", "text", "mod/subscribers",
                            "allow/subscribers", "deny/subscribers", "digest/subscribers"})
        CHECK(fs::is_directory(d + "/" + sub));
    for (const char* t : {"top", "bottom", "help", "sub-confirm", "sub-ok", "unsub-ok"})
        CHECK(fs::file_size(d + "/text/" + t) > 0);
    CHECK_FALSE(fs::exists(d + "/text/trailer"));
    CHECK_FALSE(fs::exists(d + "/prefix"));
    for (auto [suffix, target] : {std::pair<const char*, const char*>{"", "editor"},
                                  {"-default", "manager"},
                                  {"-owner", "owner"},
                                  {"-return-default", "bouncer"}}) {
        std::string link = tmp / (std::string(".qmail-team") + suffix);
        REQUIRE(fs::is_symlink(link));
        CHECK(fs::read_symlink(link) == d + "/" + target);
    }
    // A second make over it is refused; nothing is lost.
    auto again = qm::lists::make_list(request(tmp));
    REQUIRE_FALSE(again);
    CHECK(again.error().permanent());
}

TEST_CASE("ezmlm-make -e changes switches in place and keeps subscribers", "[lists][make]") {
    qmtest::TempDir tmp;
    auto r = request(tmp);
    r.set['f'] = true;
    REQUIRE(qm::lists::make_list(r));
    const std::string d = tmp / "team";
    CHECK(qmtest::slurp(d + "/prefix") == "[joe-team]\n");
    REQUIRE(qm::lists::subscribe(d, "a@b.example"));
    qmtest::spit(d + "/num", "5\n");
    qmtest::spit(d + "/text/help", "our own help\n");

    auto edit = liststest::edit_list(d, "/opt/ezmlm bin");
    edit.set['u'] = true;
    edit.set['p'] = false;
    edit.set['t'] = true;
    edit.owner = "boss@b.example";
    REQUIRE(qm::lists::make_list(edit));
    CHECK(*qm::lists::is_subscriber(d, "a@b.example"));
    CHECK(qmtest::slurp(d + "/num") == "5\n");
    CHECK(qmtest::slurp(d + "/text/help") == "our own help\n");
    CHECK(fs::exists(d + "/subpostonly"));
    CHECK_FALSE(fs::exists(d + "/public"));
    CHECK(fs::exists(d + "/addtrailer"));
    CHECK(fs::exists(d + "/text/trailer"));
    CHECK(fs::exists(d + "/prefix")); // kept: not given
    CHECK(qmtest::slurp(d + "/owner") == "&boss@b.example\n");
    CHECK(qmtest::slurp(d + "/outlocal") == "joe-team\n");
    auto editor = qmtest::slurp(d + "/editor");
    CHECK(editor.starts_with("|'/opt/ezmlm bin/ezmlm-reject' '" + d +
                             "'\n|'/opt/ezmlm bin/ezmlm-issubn' '" + d +
                             "' . digest allow mod ||"));
    CHECK(editor.ends_with("exit 100; }\n|'/opt/ezmlm bin/ezmlm-send' '" + d +
                           "'\n|'/opt/ezmlm bin/ezmlm-warn' '" + d + "' || exit 0\n"));
    auto sw = qm::lists::current_switches(d);
    REQUIRE(sw);
    CHECK((*sw)['u']);
    CHECK_FALSE((*sw)['p']);
    CHECK((*sw)['f']);
    CHECK((*sw)['a']);
    // The owner stays on a later edit that does not mention it.
    qm::lists::MakeRequest edit2 = edit;
    edit2.owner.reset();
    edit2.set = {{'f', false}};
    REQUIRE(qm::lists::make_list(edit2));
    CHECK(qmtest::slurp(d + "/owner") == "&boss@b.example\n");
    CHECK_FALSE(fs::exists(d + "/prefix"));
}

TEST_CASE("a digested list runs ezmlm-get after ezmlm-send and starts its digest state",
          "[lists][make]") {
    qmtest::TempDir tmp;
    REQUIRE(qm::lists::make_list(request(tmp)));
    const std::string d = tmp / "team";
    // An existing list with 7 posts becomes digested: the first digest starts at post 8.
    qmtest::spit(d + "/num", "7\n");
    auto edit = liststest::edit_list(d, "/opt/ezmlm bin");
    edit.set['d'] = true;
    ::setenv("QM_LISTS_NOW", "1700000000", 1);
    auto made = qm::lists::make_list(edit);
    ::unsetenv("QM_LISTS_NOW");
    REQUIRE(made);
    CHECK(qmtest::slurp(d + "/editor") ==
          "|'/opt/ezmlm bin/ezmlm-reject' '" + d + "'\n|'/opt/ezmlm bin/ezmlm-send' '" + d +
              "'\n|'/opt/ezmlm bin/ezmlm-get' '" + d + "'\n|'/opt/ezmlm bin/ezmlm-warn' '" + d +
              "' || exit 0\n");
    CHECK(qmtest::slurp(d + "/num") == "7:0\n"); // with the size counter digsize needs
    CHECK(qmtest::slurp(d + "/dignum") == "7:0:1700000000\n");
    for (auto [suffix, target] : {std::pair<const char*, const char*>{"-digest-owner", "owner"},
                                  {"-digest-return-default", "bouncer"}}) {
        std::string link = tmp / (std::string(".qmail-team") + suffix);
        REQUIRE(fs::is_symlink(link));
        CHECK(fs::read_symlink(link) == d + "/" + target);
    }
    // Editing again keeps the digest state.
    qmtest::spit(d + "/dignum", "9:3:1700005000\n");
    edit.set = {{'f', true}};
    REQUIRE(qm::lists::make_list(edit));
    CHECK(qmtest::slurp(d + "/dignum") == "9:3:1700005000\n");
}

TEST_CASE("ezmlm-make wants an absolute dir and no newlines", "[lists][make]") {
    qmtest::TempDir tmp;
    auto r = request(tmp);
    r.dir = "relative/team";
    CHECK_FALSE(qm::lists::make_list(r));
    r = request(tmp);
    r.local = "a\nb";
    CHECK_FALSE(qm::lists::make_list(r));
    CHECK(qm::lists::shell_quote("it's") == "'it'\\''s'");
}

TEST_CASE("num in ezmlm 0.53 and ezmlm-idx form", "[lists][make]") {
    qmtest::TempDir tmp;
    qmtest::spit(tmp / "num", "17\n");
    CHECK(qm::lists::read_num(tmp.path())->last == 17);
    CHECK_FALSE(qm::lists::read_num(tmp.path())->kbytes);
    qmtest::spit(tmp / "num", "1234:56\n");
    auto n = qm::lists::read_num(tmp.path());
    CHECK(n->last == 1234);
    CHECK(*n->kbytes == 56);
    REQUIRE(qm::lists::write_num(tmp.path(), {1235, 60}));
    CHECK(qmtest::slurp(tmp / "num") == "1235:60\n");
    CHECK(qm::lists::archive_path("/l", 15307) == "/l/archive/153/07");
    CHECK(qm::lists::archive_path("/l", 1) == "/l/archive/0/01");
}

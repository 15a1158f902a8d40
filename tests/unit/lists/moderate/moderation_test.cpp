#include "../make_request.hpp"
#include "qm/lists/core/reply.hpp"
#include "qm/lists/manage/make.hpp"
#include "qm/lists/moderate/moderation.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;

namespace {

qm::lists::MakeRequest moderated_request(const qmtest::TempDir& tmp) {
    auto r = liststest::new_list(tmp, "/opt/ezmlm");
    r.set['m'] = true;
    return r;
}

} // namespace

TEST_CASE("ezmlm-make -m routes posts through ezmlm-store and answers to ezmlm-moderate",
          "[lists][moderation]") {
    qmtest::TempDir tmp;
    REQUIRE(qm::lists::make_list(moderated_request(tmp)));
    const std::string d = tmp / "team";
    // ezmlm-warn ends every editor (the bounce cycle), as in ezmlm-idx.
    const std::string warn = "|'/opt/ezmlm/ezmlm-warn' '" + d + "' || exit 0\n";
    CHECK(qmtest::slurp(d + "/editor") ==
          "|'/opt/ezmlm/ezmlm-reject' '" + d + "'\n|'/opt/ezmlm/ezmlm-store' '" + d +
              "'\n|'/opt/ezmlm/ezmlm-clean' '" + d + "' || exit 0\n" + warn);
    CHECK(qmtest::slurp(d + "/moderator") == "|'/opt/ezmlm/ezmlm-moderate' '" + d +
                                                 "'\n|'/opt/ezmlm/ezmlm-clean' '" + d +
                                                 "' || exit 0\n");
    for (const char* suffix : {"-accept-default", "-reject-default"})
        CHECK(fs::read_symlink(tmp / (std::string(".qmail-team") + suffix)) == d + "/moderator");
    for (const char* sub : {"pending", "accepted", "rejected", "unconfirmed"})
        CHECK(fs::is_directory(d + "/mod/" + sub));
    CHECK(fs::exists(d + "/modpost"));

    // -u with -m: subscribers' posts go out, the rest are held (ezmlm-gate).
    auto edit = liststest::edit_list(d, "/opt/ezmlm");
    edit.set['u'] = true;
    REQUIRE(qm::lists::make_list(edit));
    CHECK(qmtest::slurp(d + "/editor") ==
          "|'/opt/ezmlm/ezmlm-reject' '" + d + "'\n|'/opt/ezmlm/ezmlm-gate' '" + d +
              "' . digest allow mod\n|'/opt/ezmlm/ezmlm-clean' -R '" + d + "' || exit 0\n" + warn);

    // Moderation off again: the moderator file goes.
    edit.set = {{'m', false}, {'u', false}};
    REQUIRE(qm::lists::make_list(edit));
    CHECK_FALSE(fs::exists(d + "/moderator"));
    CHECK_FALSE(fs::exists(d + "/modpost"));
}

TEST_CASE("held post names and moderation addresses", "[lists][moderation]") {
    auto n = qm::lists::parse_held_name("1700000000.4242");
    REQUIRE(n);
    CHECK(n->when == 1700000000);
    CHECK(n->pid == 4242);
    CHECK(n->text() == "1700000000.4242");
    for (const char* bad : {"", "1700000000", "1700000000.", ".42", "17x.42", "1.2.3", "-1.2"})
        CHECK_FALSE(qm::lists::parse_held_name(bad));

    const std::string cookie = "abcdefghijklmnopabcd";
    auto r = qm::lists::parse_moderation_request("joe-team-accept-1700000000.42." + cookie,
                                                 "1700000000.42." + cookie);
    REQUIRE(r);
    CHECK(r->action == qm::lists::ModerationAction::accept);
    CHECK(r->name.text() == "1700000000.42");
    CHECK(r->cookie == cookie);
    r = qm::lists::parse_moderation_request("joe-team-REJECT-1700000000.42." + cookie,
                                            "1700000000.42." + cookie);
    REQUIRE(r);
    CHECK(r->action == qm::lists::ModerationAction::reject);
    CHECK_FALSE(qm::lists::parse_moderation_request("joe-team-confirm-1.2.x", "1.2.x"));
    CHECK_FALSE(qm::lists::parse_moderation_request("joe-team-accept-1.2", "1.2"));
    CHECK_FALSE(qm::lists::parse_moderation_request("joe-team-accept-1.2.x", "9.2.x"));
    CHECK_FALSE(qm::lists::parse_moderation_request("", ""));
}

TEST_CASE("the moderator's comment is what lies between the %%% lines", "[lists][moderation]") {
    CHECK(qm::lists::moderator_comment("Subject: Re: MODERATE\n\n"
                                       "no thanks\n%%% Start comment\nOff topic here.\n"
                                       "Try the other list.\n%%% End comment\nbye\n") ==
          "Off topic here.\nTry the other list.\n");
    // Quoted by the moderator's mail program: the quoting of the first marker goes.
    CHECK(qm::lists::moderator_comment("Subject: x\n\n> %%% Start comment\n> Too long.\n"
                                       "> %%% End comment\n") == "Too long.\n");
    // Quoted-printable and base64 replies are decoded first.
    CHECK(qm::lists::moderator_comment("Content-Transfer-Encoding: quoted-printable\n\n"
                                       "%%% Start\nCaf=C3=A9 is =\nclosed.\n%%% End\n") ==
          "Caf\xC3\xA9 is closed.\n");
    CHECK(qm::lists::moderator_comment("Content-Transfer-Encoding: base64\n\n"
                                       "JSUlIGEKTm8uCiUlJSBiCg==\n") == "No.\n");
    // No end marker, or markers not at the start of a line: no comment.
    CHECK(qm::lists::moderator_comment("Subject: x\n\n%%% Start\nunfinished\n").empty());
    CHECK(qm::lists::moderator_comment("Subject: x\n\nsix chars %%% a\nx\n%%% b\n").empty());
    CHECK(qm::lists::moderator_comment("").empty());
}

TEST_CASE("modtime is hours between 24 and 240, 120 by default", "[lists][moderation]") {
    qmtest::TempDir tmp;
    CHECK(*qm::lists::moderation_timeout_hours(tmp.path()) == 120);
    for (auto [text, hours] : {std::pair<const char*, unsigned>{"0\n", 120},
                               {"5\n", 24},
                               {"48\n", 48},
                               {"1000\n", 240},
                               {"junk\n", 120}}) {
        qmtest::spit(tmp / "modtime", text);
        CHECK(*qm::lists::moderation_timeout_hours(tmp.path()) == hours);
    }
}

TEST_CASE("the moderator database is dir/mod unless dir/modpost names another",
          "[lists][moderation]") {
    qmtest::TempDir tmp;
    CHECK(*qm::lists::moderator_db(tmp.path()) == tmp / "mod");
    qmtest::spit(tmp / "modpost", "");
    CHECK(*qm::lists::moderator_db(tmp.path()) == tmp / "mod");
    qmtest::spit(tmp / "modpost", "editors\n");
    CHECK(*qm::lists::moderator_db(tmp.path()) == tmp / "editors");
    qmtest::spit(tmp / "modpost", "/elsewhere/db\n");
    CHECK(*qm::lists::moderator_db(tmp.path()) == "/elsewhere/db");
}

TEST_CASE("a reply can enclose a message as message/rfc822", "[lists][moderation]") {
    qmtest::TempDir tmp;
    qm::lists::ListInfo list{tmp.path(), "team", "lists.example"};
    qm::lists::Reply r;
    r.to = "mod@lists.example";
    r.to_header = "team-moderators@lists.example";
    r.subject = "MODERATE for team@lists.example";
    r.body = "Please look.\n";
    r.enclosed = "From: a@b.example\nSubject: hi\n\nbody\n";
    auto m = qm::lists::format_reply(list, r, 1700000000);
    CHECK(m.find("\nTo: team-moderators@lists.example\n") != std::string::npos);
    auto at = m.find("Content-Type: multipart/mixed; boundary=\"");
    REQUIRE(at != std::string::npos);
    at += 41;
    const std::string boundary = m.substr(at, m.find('"', at) - at);
    CHECK(m.find("\n--" + boundary +
                 "\nContent-Type: text/plain; charset=us-ascii\n\n"
                 "Please look.\n\n--" +
                 boundary +
                 "\nContent-Type: message/rfc822\n\nFrom: a@b.example\nSubject: hi\n\nbody\n\n--" +
                 boundary + "--\n") != std::string::npos);
    // A plain reply stays plain.
    r.enclosed.clear();
    CHECK(qm::lists::format_reply(list, r, 1700000000).find("multipart") == std::string::npos);
}

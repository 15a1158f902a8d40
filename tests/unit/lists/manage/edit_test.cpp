#include "../make_request.hpp"
#include "qm/lists/manage/edit.hpp"
#include "qm/lists/manage/make.hpp"
#include "qm/lists/manage/manage.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;
using namespace qm::lists;

namespace {

const std::string start(edit_start_marker);
const std::string end(edit_end_marker);

ManagePolicy edit_policy() {
    ManagePolicy p;
    p.remote = true;
    p.modcanedit = true;
    return p;
}

ManageFacts moderator_facts(std::string contents = "old trailer\n") {
    ManageFacts f;
    f.sender = "carol@test.example";
    f.target = f.sender;
    f.sender_is_moderator = true;
    f.target_is_moderator = true;
    f.key = "list secret";
    f.now = 1'700'000'000;
    f.edit_contents = std::move(contents);
    return f;
}

// The ed. request a moderator's reply arrives with, for a cookie made at when over
// (file, moderator, contents).
ManageRequest edit_reply(std::time_t when, const std::string& file, const std::string& moderator,
                         const std::string& contents) {
    const std::string cookie =
        make_cookie("list secret", CookieScope::main, when,
                    edit_cookie_subject(file, moderator, contents), CookieAction::edit_text);
    return parse_manage_request("ed." + std::to_string(when) + "." + cookie + "-" + file);
}

std::string refusal(const ManageDecision& d) {
    REQUIRE(d.step == ManageStep::refuse);
    CHECK(d.refusal.permanent());
    return d.refusal.text;
}

} // namespace

TEST_CASE("the edited text is what lies between the markers", "[lists][edit]") {
    auto t = text_between_markers("Thanks.\n" + start + "\nline one\n\nline three\n" + end +
                                  "\n-- \nsignature\n");
    CHECK(t.problem == EditProblem::none);
    CHECK(t.text == "line one\n\nline three\n");
    // CRLF, trailing blanks and another case on the marker lines.
    t = text_between_markers("%%% start of text file  \r\nx\r\n%%% End Of Text File\r\n");
    CHECK(t.problem == EditProblem::none);
    CHECK(t.text == "x\n");
    // Nothing between the markers: an empty file.
    t = text_between_markers(start + "\n" + end + "\n");
    CHECK(t.problem == EditProblem::none);
    CHECK(t.text.empty());
    // A missing marker: no text.
    CHECK(text_between_markers(start + "\nunfinished\n").problem == EditProblem::no_markers);
    CHECK(text_between_markers("just\n" + end + "\n").problem == EditProblem::no_markers);
    CHECK(text_between_markers("").problem == EditProblem::no_markers);
    // A marker inside a line is no marker.
    CHECK(text_between_markers("see " + start + "\nx\n" + end + "\n").problem ==
          EditProblem::no_markers);
}

TEST_CASE("quoting of the markers is taken off every line that has it", "[lists][edit]") {
    auto t = text_between_markers("On Monday the list wrote:\n> " + start +
                                  "\n> ---\n>\n"
                                  "> To unsubscribe, mail <#l#>-unsubscribe@<#h#>\n"
                                  "a line the moderator added unquoted\n> " +
                                  end + "\n");
    CHECK(t.problem == EditProblem::none);
    CHECK(t.text == "---\n\nTo unsubscribe, mail <#l#>-unsubscribe@<#h#>\n"
                    "a line the moderator added unquoted\n");
    // Twice quoted; the end marker counts quoted or not.
    t = text_between_markers(">> " + start + "\n>> a\n>>\n" + end + "\n");
    CHECK(t.problem == EditProblem::none);
    CHECK(t.text == "a\n\n");
    // A quote prefix longer than mail clients write is no quoting.
    CHECK(text_between_markers("> > > > > " + start + "\nx\n" + end + "\n").problem ==
          EditProblem::no_markers);
}

TEST_CASE("an edited text may be 5120 bytes, not one more", "[lists][edit]") {
    const std::string line(79, 'x'); // 80 bytes with its newline
    std::string fits;
    while (fits.size() < max_edited_text)
        fits += line + "\n";
    REQUIRE(fits.size() == max_edited_text);
    auto t = text_between_markers(start + "\n" + fits + end + "\n");
    CHECK(t.problem == EditProblem::none);
    CHECK(t.text == fits);
    t = text_between_markers(start + "\n" + fits + "y\n" + end + "\n");
    CHECK(t.problem == EditProblem::too_large);
    CHECK(t.text.empty());
    // Also without an end marker, a text that long is refused for its size.
    CHECK(text_between_markers(start + "\n" + fits + fits).problem == EditProblem::too_large);
}

TEST_CASE("quoted-printable, base64 and multipart replies are decoded first", "[lists][edit]") {
    auto t = edited_text_of("Subject: Re: edit\nMIME-Version: 1.0\n"
                            "Content-Type: text/plain; charset=utf-8\n"
                            "Content-Transfer-Encoding: quoted-printable\n\n"
                            "> %%% START OF TEXT FILE\n> Caf=C3=A9 au lait, a line so long that =\n"
                            "the client broke it\n> =3D=3D=3D\n> %%% END OF TEXT FILE\n");
    CHECK(t.problem == EditProblem::none);
    CHECK(t.text == "Caf\xC3\xA9 au lait, a line so long that the client broke it\n===\n");

    // "%%% START OF TEXT FILE\nnew text\n%%% END OF TEXT FILE\n" in base64.
    t = edited_text_of("Subject: Re: edit\nContent-Type: text/plain\n"
                       "Content-Transfer-Encoding: base64\n\n"
                       "JSUlIFNUQVJUIE9GIFRFWFQgRklMRQpuZXcgdGV4dAolJSUgRU5E\n"
                       "IE9GIFRFWFQgRklMRQo=\n");
    CHECK(t.problem == EditProblem::none);
    CHECK(t.text == "new text\n");

    // multipart/alternative: the text/plain part, not the HTML one.
    t = edited_text_of("Subject: Re: edit\nMIME-Version: 1.0\n"
                       "Content-Type: multipart/alternative; boundary=\"b\"\n\n"
                       "--b\nContent-Type: text/plain; charset=us-ascii\n"
                       "Content-Transfer-Encoding: quoted-printable\n\n"
                       "%%% START OF TEXT FILE\nplain=20\n%%% END OF TEXT FILE\n"
                       "--b\nContent-Type: text/html\n\n"
                       "<p>%%% START OF TEXT FILE<br>html<br>%%% END OF TEXT FILE</p>\n"
                       "--b--\n");
    CHECK(t.problem == EditProblem::none);
    CHECK(t.text == "plain \n");

    // No MIME at all: the body as it is.
    t = edited_text_of("Subject: Re: edit\n\n" + start + "\nplain\n" + end + "\n");
    CHECK(t.text == "plain\n");
    // Only HTML: no text to take.
    CHECK(edited_text_of("Content-Type: text/html\n\n" + start + "\nx\n" + end + "\n").problem ==
          EditProblem::no_markers);
}

TEST_CASE("edit, edit.FILE and ed.T.COOKIE-FILE are read before the target split",
          "[lists][edit]") {
    auto r = parse_manage_request("EDIT");
    CHECK(r.verb == ManageVerb::edit_list);
    r = parse_manage_request("edit.sub-confirm");
    CHECK(r.verb == ManageVerb::edit_get);
    CHECK(r.edit_file == "sub-confirm");
    CHECK_FALSE(r.bad_target);
    r = parse_manage_request("ed.1700000000.kpjgaoohbkefgcnmdjlb-mod-sub-confirm");
    CHECK(r.verb == ManageVerb::edit_put);
    REQUIRE(r.confirmation);
    CHECK(r.confirmation->when == 1'700'000'000);
    CHECK(r.confirmation->cookie == "kpjgaoohbkefgcnmdjlb");
    CHECK(r.edit_file == "mod-sub-confirm");
    r = parse_manage_request("ed.1700000000.nonsense-trailer");
    CHECK(r.verb == ManageVerb::edit_put);
    CHECK_FALSE(r.confirmation);
    r = parse_manage_request("digest-edit");
    CHECK(r.verb == ManageVerb::edit_list);
    CHECK(r.scope == CookieScope::digest);
}

TEST_CASE("only plain names in text/ can be edited", "[lists][edit]") {
    for (const char* good : {"trailer", "sub-confirm", "edit-do", "my_text.txt", "x"})
        CHECK(is_editable_text_name(good));
    for (const char* bad : {"", ".hidden", "../key", "a/b", "a..b", "/etc/passwd", "a b", "a\nb",
                            "tr%61iler", "..", ".", "trailer.tmp.4711"})
        CHECK_FALSE(is_editable_text_name(bad));
    CHECK_FALSE(is_editable_text_name(std::string(65, 'a')));
    CHECK(is_editable_text_name(std::string(64, 'a')));
}

TEST_CASE("only moderators of lists with modcanedit and remote may edit", "[lists][edit]") {
    const auto get = parse_manage_request("edit.trailer");
    CHECK(decide_manage(get, edit_policy(), moderator_facts()).step == ManageStep::edit_get);
    CHECK(decide_manage(parse_manage_request("edit"), edit_policy(), moderator_facts()).step ==
          ManageStep::edit_list);

    auto stranger = moderator_facts();
    stranger.sender_is_moderator = false;
    CHECK(refusal(decide_manage(get, edit_policy(), stranger)).find("only the list's moderators") !=
          std::string::npos);
    CHECK(refusal(decide_manage(parse_manage_request("edit"), edit_policy(), stranger))
              .find("only the list's moderators") != std::string::npos);
    auto no_edit = edit_policy();
    no_edit.modcanedit = false;
    CHECK(refusal(decide_manage(get, no_edit, moderator_facts())).find("cannot be edited") !=
          std::string::npos);
    auto no_remote = edit_policy();
    no_remote.remote = false;
    CHECK(refusal(decide_manage(get, no_remote, moderator_facts())).find("cannot be edited") !=
          std::string::npos);
    refusal(decide_manage(parse_manage_request("digest-edit.trailer"), edit_policy(),
                          moderator_facts()));
    refusal(decide_manage(parse_manage_request("edit...key"), edit_policy(), moderator_facts()));
    auto missing = moderator_facts();
    missing.edit_contents.reset();
    CHECK(refusal(decide_manage(get, edit_policy(), missing)).find("there is no text/trailer") !=
          std::string::npos);
}

TEST_CASE("an edit cookie is bound to the file, the moderator and the contents", "[lists][edit]") {
    const auto facts = moderator_facts("old trailer\n");
    const std::time_t when = facts.now - 60;
    const auto good = edit_reply(when, "trailer", "carol@TEST.example", "old trailer\n");
    CHECK(decide_manage(good, edit_policy(), facts).step == ManageStep::edit_put);

    // The file has changed since the cookie was sent: void.
    CHECK(refusal(decide_manage(good, edit_policy(), moderator_facts("new trailer\n")))
              .find("the file has changed") != std::string::npos);
    // Another moderator answering with carol's cookie.
    auto dave = facts;
    dave.sender = "dave@test.example";
    refusal(decide_manage(good, edit_policy(), dave));
    // carol's cookie for the trailer used for another file with the same contents.
    auto other_file = good;
    other_file.edit_file = "help";
    refusal(decide_manage(other_file, edit_policy(), facts));
    // A forged cookie, and none at all.
    refusal(decide_manage(
        parse_manage_request("ed." + std::to_string(when) + ".aaaaaaaaaaaaaaaaaaaa-trailer"),
        edit_policy(), facts));
    refusal(decide_manage(parse_manage_request("ed.trailer"), edit_policy(), facts));
    // Good for 100,000 seconds, not longer; never from the future.
    auto later = facts;
    later.now = when + edit_cookie_lifetime;
    CHECK(decide_manage(good, edit_policy(), later).step == ManageStep::edit_put);
    later.now = when + edit_cookie_lifetime + 1;
    CHECK(refusal(decide_manage(good, edit_policy(), later)).find("expired") != std::string::npos);
    auto earlier = facts;
    earlier.now = when - 1;
    refusal(decide_manage(good, edit_policy(), earlier));
    // A subscription cookie over the same subject is no edit cookie.
    const std::string sc =
        make_cookie("list secret", CookieScope::main, when,
                    edit_cookie_subject("trailer", "carol@test.example", "old trailer\n"),
                    CookieAction::subscribe_confirm);
    refusal(
        decide_manage(parse_manage_request("ed." + std::to_string(when) + "." + sc + "-trailer"),
                      edit_policy(), facts));
}

TEST_CASE("text files are read and replaced without following symlinks", "[lists][edit]") {
    qmtest::TempDir tmp;
    const std::string dir = tmp / "list";
    fs::create_directories(dir + "/text");
    qmtest::spit(dir + "/text/trailer", "old\n");
    qmtest::spit(dir + "/text/help", "help\n");
    qmtest::spit(dir + "/secret", "key material\n");
    fs::create_symlink(dir + "/secret", dir + "/text/faq");
    qmtest::spit(dir + "/text/.hidden", "x\n");
    fs::create_directory(dir + "/text/subdir");

    auto names = editable_texts(dir);
    REQUIRE(names);
    CHECK(*names == std::vector<std::string>{"help", "trailer"});
    auto trailer = read_editable_text(dir, "trailer");
    REQUIRE(trailer);
    CHECK(*trailer == "old\n");
    auto faq = read_editable_text(dir, "faq");
    REQUIRE(faq);
    CHECK_FALSE(*faq);
    auto none = read_editable_text(dir, "nothing");
    REQUIRE(none);
    CHECK_FALSE(*none);
    auto subdir = read_editable_text(dir, "subdir");
    REQUIRE(subdir);
    CHECK_FALSE(*subdir);

    REQUIRE(write_edited_text(dir, "trailer", "new\n"));
    CHECK(qmtest::slurp(dir + "/text/trailer") == "new\n");
    // Writing a symlink's name replaces the link; its target is untouched.
    REQUIRE(write_edited_text(dir, "faq", "faq\n"));
    CHECK(qmtest::slurp(dir + "/secret") == "key material\n");
    CHECK_FALSE(fs::is_symlink(dir + "/text/faq"));
    CHECK(qmtest::slurp(dir + "/text/faq") == "faq\n");
}

TEST_CASE("ezmlm-make -n writes the edit texts", "[lists][edit]") {
    qmtest::TempDir tmp;
    const MakeRequest r = liststest::new_list(tmp, "/opt/ezmlm bin");
    REQUIRE(make_list(r));
    CHECK_FALSE(fs::exists(r.dir + "/modcanedit"));
    CHECK_FALSE(fs::exists(r.dir + "/text/edit-do"));
    MakeRequest edit = liststest::edit_list(r.dir, "/opt/ezmlm bin");
    edit.set['n'] = true;
    REQUIRE(make_list(edit));
    CHECK(fs::exists(r.dir + "/modcanedit"));
    for (const char* t : {"edit-do", "edit-list", "edit-done"})
        CHECK(fs::file_size(r.dir + "/text/" + t) > 0);
    CHECK(qmtest::slurp(r.dir + "/text/edit-do").find("<#R#>") != std::string::npos);
}

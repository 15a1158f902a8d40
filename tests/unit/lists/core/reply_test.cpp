#include "qm/lists/core/reply.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

namespace {

qm::lists::ListInfo scratch_list(const std::string& dir) {
    std::filesystem::create_directories(dir + "/text");
    return {dir, "team", "lists.example"};
}

void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

} // namespace

TEST_CASE("texts come from text/ with their tags filled in, or from the built-in set",
          "[lists][reply]") {
    qmtest::TempDir tmp;
    auto list = scratch_list(tmp.path() + "/l");
    write(list.dir + "/text/sub-confirm", "Reply to <#R#> to add <#A#> to <#l#>@<#h#>. <#Z#> <#\n");
    auto t = qm::lists::render_text(
        list, "sub-confirm",
        {{'R', "team-sc.1.abc-joe=far.example@lists.example"}, {'A', "joe@far.example"}});
    REQUIRE(t);
    // <#Z#> is no tag ezmlm-idx 7 knows: removed, as there; "<#" alone is no tag.
    CHECK(*t == "Reply to team-sc.1.abc-joe=far.example@lists.example to add joe@far.example "
                "to team@lists.example.  <#\n");
    // Missing from the directory: the built-in English text.
    auto help = qm::lists::render_text(list, "help", {});
    REQUIRE(help);
    CHECK(help->find("team-subscribe@lists.example") != std::string::npos);
    CHECK_FALSE(qm::lists::render_text(list, "no-such-text", {}));
}

TEST_CASE("a reply is top, the texts, bottom, with ezmlm's headers", "[lists][reply]") {
    qmtest::TempDir tmp;
    auto list = scratch_list(tmp.path() + "/l");
    write(list.dir + "/text/top", "TOP <#l#>\n");
    write(list.dir + "/text/bottom", "BOTTOM\n");
    write(list.dir + "/text/sub-ok", "OK <#A#>\n");
    auto body = qm::lists::compose_body(list, {"sub-ok"}, {{'A', "joe@far.example"}});
    REQUIRE(body);
    CHECK(*body == "TOP team\nOK joe@far.example\nBOTTOM\n");
    write(list.dir + "/omitbottom", "");
    body = qm::lists::compose_body(list, {"sub-ok"}, {{'A', "joe@far.example"}});
    REQUIRE(body);
    CHECK(*body == "TOP team\nOK joe@far.example\n");

    qm::lists::Reply r;
    r.to = "joe@far.example";
    r.subject = "confirm subscribe\nBcc: evil@x.example";
    r.body = *body;
    r.headers = {"Reply-To: team-sc.1.abc-joe=far.example@lists.example"};
    auto m = qm::lists::format_reply(list, r, 1'700'000'000);
    CHECK(m.starts_with("Mailing-List: contact team-help@lists.example; run by ezmlm\n"
                        "Date: 14 Nov 2023 22:13:20 -0000\nMessage-ID: <1700000000."));
    // ezmlm-idx 7's form: <TIME.PID.ezmlm@outhost>.
    CHECK(m.find(".ezmlm@lists.example>\n") != std::string::npos);
    CHECK(m.find("\nFrom: team-help@lists.example\nTo: joe@far.example\n"
                 "Subject: confirm subscribe Bcc: evil@x.example\n"
                 "Reply-To: team-sc.1.abc-joe=far.example@lists.example\n"
                 "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
                 "Content-Type: text/plain; charset=us-ascii\n\nTOP team\n") != std::string::npos);
    CHECK(m.find("\nBcc:") == std::string::npos);
}

TEST_CASE("a list's charset file names the character set of its replies", "[lists][reply]") {
    qmtest::TempDir tmp;
    auto list = scratch_list(tmp.path() + "/l");
    qm::lists::Reply r;
    r.to = "joe@far.example";
    r.subject = "x";
    r.body = "Gr\xfc\xdf"
             "e\n"; // ISO-8859-15, as ezmlm-idx 7's German texts are
    // Without dir/charset, 8-bit text is taken for UTF-8.
    CHECK(qm::lists::format_reply(list, r, 1'700'000'000)
              .find("charset=utf-8\nContent-Transfer-Encoding: 8bit\n") != std::string::npos);
    // The name alone: labelled so, sent 8bit.
    write(list.dir + "/charset", "iso-8859-15\n");
    CHECK(qm::lists::format_reply(list, r, 1'700'000'000)
              .find("Content-Type: text/plain; charset=iso-8859-15\n"
                    "Content-Transfer-Encoding: 8bit\n\nGr\xfc\xdf"
                    "e\n") != std::string::npos);
    // ezmlm-idx 7's form, with its transfer encoding after the colon: quoted-printable,
    write(list.dir + "/charset", "iso-8859-15:Q\n");
    CHECK(qm::lists::format_reply(list, r, 1'700'000'000)
              .find("Content-Type: text/plain; charset=iso-8859-15\n"
                    "Content-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe\n") !=
          std::string::npos);
    // or base64 of the text with CRLF line ends (RFC 2045 6.8): "Gr\xfc\xdf" "e\r\n".
    write(list.dir + "/charset", "iso-8859-15:B\n");
    CHECK(qm::lists::format_reply(list, r, 1'700'000'000)
              .find("Content-Type: text/plain; charset=iso-8859-15\n"
                    "Content-Transfer-Encoding: base64\n\nR3L832UNCg==\n") != std::string::npos);
    // Another suffix is no encoding: the name is then no token, and the bytes decide.
    write(list.dir + "/charset", "iso-8859-15:X\n");
    CHECK(qm::lists::format_reply(list, r, 1'700'000'000).find("charset=utf-8\n") !=
          std::string::npos);
    r.body = "plain\n";
    write(list.dir + "/charset", "iso-8859-15\n");
    CHECK(qm::lists::format_reply(list, r, 1'700'000'000).find("charset=iso-8859-15\n\nplain\n") !=
          std::string::npos);
}

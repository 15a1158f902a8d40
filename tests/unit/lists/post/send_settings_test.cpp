// ezmlm-send's reading of the settings files as ezmlm-idx 7 has them: headeradd holding
// the List-* fields, replytolist, and the trailer on base64 and quoted-printable posts.
#include "qm/lists/core/mime.hpp"
#include "qm/lists/post/dmarc.hpp"
#include "qm/lists/post/send.hpp"

#include <catch2/catch.hpp>

namespace {

qm::lists::PostSettings settings() {
    qm::lists::PostSettings s;
    s.list = {"/l", "team", "lists.example"};
    s.mailinglist = "contact team-help@lists.example; run by ezmlm";
    s.headerremove = {"return-path", "precedence", "list-post", "reply-to"};
    return s;
}

qm::Result<qm::lists::Post> build(const qm::lists::PostSettings& s, std::string_view text) {
    return qm::lists::build_post(s, 7, qm::lists::ParsedPost(text));
}

std::string header_of(const qm::lists::Post& p) {
    return p.text.substr(0, p.text.find("\n\n") + 1);
}

} // namespace

TEST_CASE("a headeradd with help subscribe and unsubscribe fields holds all List-* fields",
          "[lists][send][settings]") {
    auto s = settings();
    s.headeradd = "Precedence: bulk\n"
                  "List-Post: <mailto:<#L#>@<#H#>>\n"
                  "List-Help: <mailto:<#l#>-help@<#h#>>\n"
                  "List-Unsubscribe: <mailto:<#l#>-unsubscribe@<#h#>>\n"
                  "List-Subscribe: <mailto:<#l#>-subscribe@<#h#>>\n";
    auto p = build(s, "List-Id: <other.far.example>\nSubject: hi\n\nbody\n");
    REQUIRE(p);
    const std::string head = header_of(*p);
    INFO(head);
    CHECK(head.find("List-Post: <mailto:team@lists.example>\n") != std::string::npos);
    CHECK(head.find("List-Help: <mailto:team-help@lists.example>\n") != std::string::npos);
    // Nothing made beside them, and the post's List-Id goes... only when listid replaces
    // it (as ezmlm-send's List-ID): without listid it stays, as in ezmlm-idx 7.
    CHECK(head.find("List-Owner") == std::string::npos);
    CHECK(head.find("List-Id: <other.far.example>") != std::string::npos);
    s.listid = "Team <team.lists.example>";
    auto q = build(s, "List-Id: <other.far.example>\nSubject: hi\n\nbody\n");
    REQUIRE(q);
    CHECK(header_of(*q).find("List-Id: Team <team.lists.example>\n") != std::string::npos);
    CHECK(header_of(*q).find("other.far.example") == std::string::npos);
    // Without one of the three (an older list's headeradd), the rest are made.
    s.headeradd = "List-Archive: <https://a.example/>\n";
    s.listid.reset();
    auto r = build(s, "Subject: hi\n\nbody\n");
    REQUIRE(r);
    CHECK(header_of(*r).find("List-Owner: <mailto:team-owner@lists.example>\n") !=
          std::string::npos);
    CHECK(header_of(*r).find("List-Id: <team.lists.example>\n") != std::string::npos);
}

TEST_CASE("replytolist sets Reply-To to the list and drops the post's", "[lists][send][settings]") {
    auto s = settings();
    s.headerremove = {};
    s.reply_to_list = true;
    auto p = build(s, "Reply-To: <joe@far.example>\nSubject: hi\n\nbody\n");
    REQUIRE(p);
    const std::string head = header_of(*p);
    INFO(head);
    CHECK(head.find("Reply-To: <team@lists.example>\n") != std::string::npos);
    CHECK(head.find("joe@far.example") == std::string::npos);
}

TEST_CASE("the trailer goes into base64 and quoted-printable text posts",
          "[lists][send][settings]") {
    auto s = settings();
    s.trailer = "--\nleave: <#l#>-unsubscribe@<#h#>\n";
    const std::string b64_header = "Content-Type: text/plain; charset=utf-8\n"
                                   "Content-Transfer-Encoding: base64\n\n";
    const std::string crlf_text = "line one\r\nline two\r\n";
    auto b = build(s, b64_header + qm::lists::encode_base64(crlf_text));
    REQUIRE(b);
    const std::string b_body = b->text.substr(b->text.find("\n\n") + 2);
    CHECK(qm::lists::decode_transfer_encoding("base64", b_body) ==
          crlf_text + "--\r\nleave: team-unsubscribe@lists.example\r\n");
    // The archive keeps the post as it came.
    REQUIRE(b->archived);
    CHECK(b->archived->ends_with("\n\n" + qm::lists::encode_base64(crlf_text)));

    const std::string qp_text = "caf\xc3\xa9 = ok\n";
    auto q = build(s, "Content-Transfer-Encoding: quoted-printable\n\n" +
                          qm::lists::encode_quoted_printable(qp_text));
    REQUIRE(q);
    const std::string q_body = q->text.substr(q->text.find("\n\n") + 2);
    CHECK(q_body == "caf=C3=A9 =3D ok\n--\nleave: team-unsubscribe@lists.example\n");
    CHECK(qm::lists::decode_transfer_encoding("quoted-printable", q_body) ==
          qp_text + "--\nleave: team-unsubscribe@lists.example\n");
    // Not on other types.
    auto h = build(s, "Content-Type: text/html\nContent-Transfer-Encoding: base64\n\nPGI+\n");
    REQUIRE(h);
    CHECK(h->text.ends_with("\n\nPGI+\n"));
}

TEST_CASE("the trailer is a part of its own before the close delimiter of a multipart/mixed post",
          "[lists][send][settings]") {
    auto s = settings();
    s.trailer = "--\nleave: <#l#>-unsubscribe@<#h#>\n";
    // The boundary as written (case kept); a nested multipart's close delimiter and the
    // outer one's text inside a line come first and are not the place.
    const std::string post = "Content-Type: multipart/mixed; boundary=\"Outer\"\n\n"
                             "--Outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
                             "--inner\nContent-Type: text/plain\n\nsee x--Outer-- here\n--inner--\n"
                             "--Outer--\nepilogue\n";
    auto p = build(s, post);
    REQUIRE(p);
    CHECK(p->text.ends_with("see x--Outer-- here\n--inner--\n"
                            "--Outer\nContent-Type: text/plain; charset=us-ascii\n\n"
                            "--\nleave: team-unsubscribe@lists.example\n\n"
                            "--Outer--\nepilogue\n"));
    REQUIRE(p->archived);
    CHECK(p->archived->ends_with(post.substr(post.find("\n\n") + 2)));
    // In the list's charset and encoding (dir/charset "iso-8859-1:B"): base64 of CRLF text.
    s.trailer = "\xa1"
                "adi\xf3s!\n";
    s.charset = {"iso-8859-1", 'B'};
    auto b = build(s, post);
    REQUIRE(b);
    CHECK(b->text.find("--Outer\nContent-Type: text/plain; charset=iso-8859-1\n"
                       "Content-Transfer-Encoding: base64\n\n" +
                       qm::lists::encode_base64("\xa1"
                                                "adi\xf3s!\r\n") +
                       "\n--Outer--\n") != std::string::npos);
    // No close delimiter at a line start: broken MIME, no trailer and nothing else changed.
    auto broken = build(s, "Content-Type: multipart/mixed; boundary=b\n\n--b\n\ntext\n");
    REQUIRE(broken);
    CHECK(broken->text.ends_with("\n\n--b\n\ntext\n"));
    // multipart/alternative gets none.
    auto alt = build(s, "Content-Type: multipart/alternative; boundary=b\n\n--b\n\nx\n--b--\n");
    REQUIRE(alt);
    CHECK(alt->text.ends_with("\n\n--b\n\nx\n--b--\n"));
}

TEST_CASE("base64 and quoted-printable encoders keep lines short and round-trip",
          "[lists][mime][settings]") {
    std::string data;
    for (int i = 0; i < 300; ++i)
        data += static_cast<char>(i % 256);
    const std::string b = qm::lists::encode_base64(data);
    CHECK(qm::lists::decode_transfer_encoding("base64", b) == data);
    CHECK(qm::lists::encode_base64("ab") == "YWI=\n");
    std::string text = std::string(200, 'x') + " \nend\t\n=\n";
    const std::string q = qm::lists::encode_quoted_printable(text);
    for (size_t p = 0, nl; (nl = q.find('\n', p)) != std::string::npos; p = nl + 1)
        CHECK(nl - p <= 76);
    CHECK(q.find("=20\n") != std::string::npos); // a space before a line end
    CHECK(q.find("=09\n") != std::string::npos);
    CHECK(qm::lists::decode_transfer_encoding("quoted-printable", q) == text);
}

TEST_CASE("with replytolist a DMARC-rewritten From goes to Cc as in ezmlm-idx 7",
          "[lists][send][settings]") {
    const qm::lists::ListInfo list{"/l", "team", "lists.example"};
    const qm::lists::ParsedPost in("From: Joe <joe@far.example>\nSubject: hi\n\nbody\n");
    auto munged = qm::lists::munge_from(in, list, true);
    REQUIRE(munged);
    const std::string text = munged->text();
    INFO(text);
    CHECK(text.find("Reply-To:") == std::string::npos);
    CHECK(text.find("Cc: Joe <joe@far.example>\n") != std::string::npos);
    // Without it, the Reply-To carries the poster, as before.
    auto plain = qm::lists::munge_from(in, list);
    REQUIRE(plain);
    CHECK(plain->text().find("Reply-To: Joe <joe@far.example>\n") != std::string::npos);
}

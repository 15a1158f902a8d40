// Remote editing of text/ files end to end (ezmlm-make -rnt): a moderator's mail to
// list-edit.trailer reaches ezmlm-manage through the real qmail-send and qmail-local,
// the file comes back into the moderator's maildir between markers with a list-ed.
// cookie as Reply-To, the moderator's quoted, quoted-printable reply to it replaces
// text/trailer, and the next post carries the new trailer. Strangers, stale cookies
// and oversized texts change nothing and are told why (qmail's bounce of the refusal).
#include "list_mta.hpp"

#include <catch2/catch.hpp>

#include <string>

using liststest::has_line;
using liststest::header_value;
using liststest::ListMta;

namespace {

const std::string list_address = "joe-team@test.example";

// A list whose moderator is carol, with alice subscribed.
void make_editable_list(ListMta& m, const std::vector<std::string>& switches) {
    m.make(switches);
    m.subscribe("alice@test.example");
    m.subscribe("carol@test.example", "mod");
    m.start();
}

// carol asks for text/FILE; returns the message she gets.
std::string ask_for(ListMta& m, const std::string& file, size_t nth) {
    m.mail_from("carol", "joe-team-edit." + file + "@test.example");
    REQUIRE(m.wait_messages("carol", nth));
    auto msg = m.wait_message_with("carol", "Subject: edit text/" + file + " of " + list_address);
    REQUIRE(!msg.empty());
    return msg;
}

// The Reply-To of user's message containing needle whose Reply-To is not known (the
// newer of two such messages).
std::string reply_to_other_than(ListMta& m, const std::string& user, const std::string& needle,
                                const std::string& known) {
    std::string found;
    REQUIRE(qmtest::wait_for([&] {
        for (const auto& msg : m.messages(user))
            if (msg.find(needle) != std::string::npos) {
                auto r = header_value(msg, "Reply-To");
                if (r && *r != known) {
                    found = *r;
                    return true;
                }
            }
        return false;
    }));
    return found;
}

// carol's reply to address: quoted by her mail program and sent quoted-printable.
void reply_quoted_printable(ListMta& m, const std::string& address, const std::string& qp_body,
                            const std::string& user = "carol") {
    m.inject("From: " + user + "@test.example\nTo: " + address +
                 "\nSubject: Re: edit text/trailer\nMIME-Version: 1.0\n"
                 "Content-Type: text/plain; charset=us-ascii\n"
                 "Content-Transfer-Encoding: quoted-printable\n\n" +
                 qp_body,
             user);
}

} // namespace

TEST_CASE("a moderator edits text/trailer by mail and the next post carries it",
          "[scenario][lists][edit]") {
    ListMta m;
    make_editable_list(m, {"-r", "-n", "-t"});
    const std::string old_trailer = qmtest::slurp(m.dir + "/text/trailer");
    REQUIRE(old_trailer.find("<#l#>-unsubscribe@<#h#>") != std::string::npos);

    m.mail_from("carol", "joe-team-edit@test.example");
    auto list = m.wait_message_with("carol", "Subject: editable texts of " + list_address);
    REQUIRE(!list.empty());
    CHECK(list.find("   joe-team-edit.trailer@test.example\n") != std::string::npos);
    CHECK(list.find("   joe-team-edit.sub-confirm@test.example\n") != std::string::npos);

    auto sent = ask_for(m, "trailer", 2);
    INFO(sent);
    const auto ed = header_value(sent, "Reply-To");
    REQUIRE(ed);
    CHECK(ed->starts_with("joe-team-ed."));
    CHECK(ed->ends_with("-trailer@test.example"));
    CHECK(sent.find("   " + *ed + "\n") != std::string::npos); // named in the text too
    // The file as it is, tags and all, between the markers.
    CHECK(sent.find("\n%%% START OF TEXT FILE\n" + old_trailer + "%%% END OF TEXT FILE\n") !=
          std::string::npos);

    // The reply, as a mail program writes it: quoted, a long line broken by a soft line
    // break, "=" written as =3D.
    reply_quoted_printable(m, *ed,
                           "Here you are.\n\n> %%% START OF TEXT FILE\n> =3D=3D=3D\n>\n"
                           "> Leave: <#l#>-unsubscribe@<#h#>, and mind the long line that =\n"
                           "my client broke\n> %%% END OF TEXT FILE\n\n-- \nCarol\n");
    auto done =
        m.wait_message_with("carol", "Subject: text/trailer of " + list_address + " replaced");
    REQUIRE(!done.empty());
    CHECK(has_line(done, "To: carol@test.example"));
    CHECK(done.find("I have replaced text/trailer of the joe-team list") != std::string::npos);
    const std::string new_trailer = "===\n\nLeave: <#l#>-unsubscribe@<#h#>, and mind the long "
                                    "line that my client broke\n";
    CHECK(qmtest::slurp(m.dir + "/text/trailer") == new_trailer);

    m.inject("From: dave@test.example\nTo: " + list_address +
             "\nSubject: after the edit\n\n"
             "hello\n");
    auto post = m.wait_message_with("alice", "Subject: after the edit");
    REQUIRE(!post.empty());
    CHECK(post.find("hello\n") != std::string::npos);
    CHECK(post.find("\n===\n\nLeave: joe-team-unsubscribe@test.example, and mind the long "
                    "line that my client broke\n") != std::string::npos);
    CHECK(post.find("To unsubscribe, mail") == std::string::npos);

    // The same cookie again: the file has changed since, so it is void.
    reply_quoted_printable(m, *ed, "> %%% START OF TEXT FILE\n> sneaky\n> %%% END OF TEXT FILE\n");
    auto stale = m.wait_message_with("carol", "the file has changed since it was sent");
    REQUIRE(!stale.empty());
    CHECK(qmtest::slurp(m.dir + "/text/trailer") == new_trailer);

    // A fresh cookie, but a text over 5120 bytes: refused, the file unchanged.
    m.mail_from("carol", "joe-team-edit.trailer@test.example");
    const std::string fresh = reply_to_other_than(m, "carol", "Subject: edit text/trailer", *ed);
    std::string big = "%%% START OF TEXT FILE\n";
    for (int i = 0; i < 80; ++i)
        big += std::string(70, 'x') + "\n";
    big += "%%% END OF TEXT FILE\n";
    reply_quoted_printable(m, fresh, big);
    CHECK(!m.wait_message_with("carol", "longer than 5120 bytes").empty());
    CHECK(qmtest::slurp(m.dir + "/text/trailer") == new_trailer);
    // A reply without the markers: refused as well.
    reply_quoted_printable(m, fresh, "I changed my mind.\n");
    CHECK(!m.wait_message_with("carol", "your reply has no text between").empty());
    CHECK(qmtest::slurp(m.dir + "/text/trailer") == new_trailer);
}

TEST_CASE("strangers, and lists without -n, cannot edit texts", "[scenario][lists][edit]") {
    ListMta m;
    make_editable_list(m, {"-r", "-n", "-t"});
    const std::string trailer = qmtest::slurp(m.dir + "/text/trailer");
    // alice, a subscriber but no moderator, asks for the trailer.
    m.mail_from("alice", "joe-team-edit.trailer@test.example");
    CHECK(!m.wait_message_with("alice", "only the list's moderators may edit its texts").empty());
    m.mail_from("alice", "joe-team-edit@test.example");
    REQUIRE(m.wait_messages("alice", 2));
    // carol's cookie, answered by dave: it is carol's, and dave is no moderator anyway.
    auto sent = ask_for(m, "trailer", 1);
    const auto ed = header_value(sent, "Reply-To");
    REQUIRE(ed);
    reply_quoted_printable(m, *ed, "%%% START OF TEXT FILE\nmine now\n%%% END OF TEXT FILE\n",
                           "dave");
    CHECK(!m.wait_message_with("dave", "only the list's moderators may edit its texts").empty());
    // Names that are not plain (a '+', say, as '/' or ".." would be) are refused.
    m.mail_from("carol", "joe-team-edit.a+b@test.example");
    CHECK(!m.wait_message_with("carol", "not the name of an editable text file").empty());
    m.mail_from("carol", "joe-team-edit.nosuchfile@test.example");
    CHECK(!m.wait_message_with("carol", "there is no text/nosuchfile").empty());
    REQUIRE(m.wait_idle());
    CHECK(qmtest::slurp(m.dir + "/text/trailer") == trailer);
    for (const auto& msg : m.messages("alice"))
        CHECK(msg.find("%%% START OF TEXT FILE") == std::string::npos);

    // Without -n even the moderator is refused.
    m.make_list("plain", {"-r"});
    m.tool("ezmlm-sub", {m.joe + "/plain/mod", "carol@test.example"});
    m.mail_from("carol", "joe-plain-edit.trailer@test.example");
    CHECK(!m.wait_message_with("carol", "cannot be edited by mail").empty());
}

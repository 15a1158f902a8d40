#include "qm/smtp/command.hpp"
#include "qm/smtp/policy.hpp"

#include <catch2/catch.hpp>

using namespace qm::smtp;

TEST_CASE("SMTP verbs are case-insensitive, the argument follows the spaces", "[smtp][command]") {
    CHECK(parse_command("EHLO client.example").verb == Verb::ehlo);
    CHECK(parse_command("ehlo  client.example").argument == "client.example");
    CHECK(parse_command("MaIl FROM:<a@b>").verb == Verb::mail);
    CHECK(parse_command("QUIT").verb == Verb::quit);
    CHECK(parse_command("QUIT").argument.empty());
    CHECK(parse_command("XYZZY").verb == Verb::unknown);
    CHECK(parse_command("").verb == Verb::unknown);
    CHECK(parse_command("DATAX").verb == Verb::unknown);
}

TEST_CASE("MAIL and RCPT arguments", "[smtp][command]") {
    auto a = parse_mail_arguments("FROM:<joe@x.example> SIZE=1000 BODY=8BITMIME", "FROM");
    REQUIRE(a);
    CHECK(a->address == "joe@x.example");
    CHECK(a->size == 1000u);
    a = parse_mail_arguments("from: <>", "FROM");
    REQUIRE(a);
    CHECK(a->address.empty());
    a = parse_mail_arguments("TO:bob@y.example", "TO"); // no brackets, as qmail allows
    REQUIRE(a);
    CHECK(a->address == "bob@y.example");
    a = parse_mail_arguments("TO:<@relay.example:bob@y.example>", "TO");
    REQUIRE(a);
    CHECK(a->address == "bob@y.example");

    CHECK(parse_mail_arguments("FROM <joe@x>", "FROM").error().code == 501);
    CHECK(parse_mail_arguments("TO:<joe@x>", "FROM").error().code == 501);
    CHECK(parse_mail_arguments("FROM:<joe@x", "FROM").error().code == 501);
    CHECK(parse_mail_arguments("FROM:<joe@x> SIZE=12x", "FROM").error().code == 501);
    CHECK(parse_mail_arguments("FROM:<joe@x> SMTPUTF8", "FROM").error().code == 555);
    CHECK(parse_mail_arguments("FROM:<joe@x> BODY=BINARYMIME", "FROM").error().code == 555);
    // qmail-smtpd's addrparse refuses addr.len > 900, where len counts the closing NUL:
    // 899 bytes pass, 900 do not.
    CHECK(parse_mail_arguments("FROM:<" + std::string(900, 'a') + ">", "FROM").error().code == 555);
    CHECK(parse_mail_arguments("TO:<" + std::string(900, 'a') + ">", "TO").error().code == 555);
    CHECK(parse_mail_arguments("FROM:<" + std::string(899, 'a') + ">", "FROM"));
}

TEST_CASE("rcpthosts: domains, .suffixes, case, trailing dots, bare local parts",
          "[smtp][policy]") {
    Controls c;
    c.rcpthosts = {"heaven.af.mil", ".heaven.af.mil", "example.org"};
    CHECK(recipient_allowed(c, "joe@heaven.af.mil"));
    CHECK(recipient_allowed(c, "joe@HEAVEN.AF.MIL"));
    CHECK(recipient_allowed(c, "joe@sub.heaven.af.mil"));
    CHECK(recipient_allowed(c, "postmaster"));
    CHECK_FALSE(recipient_allowed(c, "joe@af.mil"));
    CHECK_FALSE(recipient_allowed(c, "joe@sub.example.org")); // no ".example.org" line
    CHECK_FALSE(recipient_allowed(c, "joe@example.org."));
    CHECK_FALSE(recipient_allowed(c, "joe@evil.example@"));
    CHECK_FALSE(recipient_allowed(c, "joe@example.org@evil.example"));
    CHECK(recipient_allowed(c, "joe@evil.example@example.org")); // local part "joe@evil.example"
}

TEST_CASE("badmailfrom: addresses and @domain lines", "[smtp][policy]") {
    Controls c;
    c.badmailfrom = {"spammer@bad.example", "@worse.example"};
    CHECK(sender_refused(c, "Spammer@Bad.Example"));
    CHECK(sender_refused(c, "anyone@WORSE.example"));
    CHECK_FALSE(sender_refused(c, "friend@bad.example"));
    CHECK_FALSE(sender_refused(c, ""));
}

TEST_CASE("box@[our ip] becomes box@localiphost", "[smtp][policy]") {
    Controls c;
    c.localiphost = "mail.example";
    c.local_ips = {"192.0.2.1"};
    CHECK(rewrite_local_ip_literal(c, "joe@[192.0.2.1]") == "joe@mail.example");
    CHECK(rewrite_local_ip_literal(c, "joe@[192.0.2.2]") == "joe@[192.0.2.2]");
    CHECK(rewrite_local_ip_literal(c, "joe@x") == "joe@x");
}

TEST_CASE("the Received line qmail-smtpd writes", "[smtp][policy]") {
    Connection conn;
    conn.remote_ip = "192.0.2.7";
    conn.remote_host = "client.example";
    conn.local_host = "mx.example";
    CHECK(received_line(conn, "client.example", "SMTP", 812345678) ==
          "Received: from client.example (192.0.2.7)\n  by mx.example with SMTP; "
          "29 Sep 1995 03:34:38 -0000\n");
    conn.remote_info = "joe";
    CHECK(received_line(conn, "evil (\"x\")\n", "ESMTP", 812345678) ==
          "Received: from client.example (HELO evil\?\?\?x\?\?\?) (joe@192.0.2.7)\n  by mx.example "
          "with ESMTP; 29 Sep 1995 03:34:38 -0000\n");
}

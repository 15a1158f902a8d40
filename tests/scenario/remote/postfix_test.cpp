// Our remote delivery against a real Postfix: qmail-send's remote channel, routed by
// control/smtproutes, delivers to a private Postfix instance on loopback whose virtual(8)
// agent stores the mail in maildirs; once in the clear and once with opportunistic
// STARTTLS against Postfix's self-signed certificate. Needs root (postfix -c).
#include "postfix.hpp"
#include "sender.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using namespace std::string_literals;

TEST_CASE("remote: qmail-send delivers to a real Postfix - in the clear and with STARTTLS",
          "[scenario][remote][postfix]") {
    if (auto why = qmtest::postfix_unavailable())
        return qmtest::skip(*why);
    for (bool tls : {false, true}) {
        INFO("tls " << tls);
        qmtest::PrivatePostfix postfix;
        std::string settings =
            postfix.virtual_maildirs({"joe@remote.example", "ann@remote.example"});
        if (tls) {
            const std::string pem = postfix.dir() + "/etc/smtpd.pem";
            qmtest::self_signed_pem(pem, "pf.test");
            settings += "smtpd_tls_security_level = may\nsmtpd_tls_cert_file = " + pem +
                        "\nsmtpd_tls_loglevel = 1\nsmtpd_tls_received_header = yes\n";
        }
        const int port = qmtest::free_port();
        postfix.start(port, settings, qmtest::PrivatePostfix::virtual_service);

        remotetest::Sender s;
        s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(port) + "\n");
        s.start();
        const std::string body = "Subject: to Postfix\nMessage-ID: <1@test.example>\n\n"
                                 ".leading dot\n..two dots\n.\nlast line";
        s.inject("alice@test.example",
                 {"joe@remote.example", "ann@Remote.Example", "nobody@remote.example"}, body);
        REQUIRE(s.wait_log("end msg "));
        const std::string log = s.log();
        INFO(log << postfix.log());
        CHECK(remotetest::count_of(log, ": success: 127.0.0.1_accepted_message./"
                                        "Remote_host_said:_250_2.0.0_Ok:_queued_as_") == 2);
        CHECK(log.find(": failure: 127.0.0.1_does_not_like_recipient./Remote_host_said:_550_5.1.1_"
                       "<nobody@remote.example>:_Recipient_address_rejected:") !=
              std::string::npos);
        CHECK((log.find("/TLS:_TLSv1.3_") != std::string::npos) == tls);

        // Both recipients came in one transaction; Postfix stores one copy each.
        REQUIRE(qmtest::wait_for([&] {
            return postfix.delivered("joe@remote.example").size() == 1 &&
                   postfix.delivered("ann@remote.example").size() == 1;
        }));
        // Postfix keeps the envelope recipient as we sent it (ann's domain in capitals).
        for (const auto& [who, address] :
             {std::pair{"joe", "joe@remote.example"}, std::pair{"ann", "ann@Remote.Example"}}) {
            const std::string got = postfix.delivered(std::string(who) + "@remote.example")[0];
            INFO(got);
            CHECK(got.starts_with("Return-Path: <alice@test.example>\n"));
            CHECK(got.find("\nDelivered-To: " + std::string(address) + "\n") != std::string::npos);
            // Postfix's Received line names our HELO and says ESMTPS only after STARTTLS;
            // it sits above the one qmail-queue wrote here.
            const auto theirs = got.find("\nReceived: from test.example (localhost [127.0.0.1])\n");
            const auto ours = got.find("\nReceived: (qmail ");
            CHECK(theirs != std::string::npos);
            CHECK(ours != std::string::npos);
            CHECK(theirs < ours);
            CHECK(got.find("\tby pf.test (Postfix) with " + std::string(tls ? "ESMTPS" : "ESMTP") +
                           " id ") != std::string::npos);
            CHECK((got.find("(using TLSv1.3 with cipher ") != std::string::npos) == tls);
            CHECK(got.find("\nSubject: to Postfix\nMessage-ID: <1@test.example>\n") !=
                  std::string::npos);
            // The body, dot lines and the unterminated last line included, arrives intact.
            CHECK(got.ends_with("\n\n.leading dot\n..two dots\n.\nlast line\n"));
        }
        if (tls)
            CHECK(postfix.log().find("TLS connection established from ") != std::string::npos);
        // The unknown recipient bounced to the sender with Postfix's words.
        REQUIRE(qmtest::wait_for([&] { return s.bounces().size() == 1; }));
        CHECK(s.bounces()[0].find("<nobody@remote.example>:\n127.0.0.1 does not like recipient.") !=
              std::string::npos);
    }
}

TEST_CASE("qmail-remote by hand against a real Postfix",
          "[scenario][remote][postfix][qmail-remote]") {
    if (auto why = qmtest::postfix_unavailable())
        return qmtest::skip(*why);
    qmtest::PrivatePostfix postfix;
    const int port = qmtest::free_port();
    postfix.start(port, postfix.virtual_maildirs({"joe@remote.example", "ann@remote.example"}),
                  qmtest::PrivatePostfix::virtual_service);

    qmtest::MailRoot root;
    root.control("me", "test.example\n");
    root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(port) + "\n");
    auto r = root.run({qmtest::bin("qmail-remote"), "remote.example", "alice@test.example",
                       "joe@remote.example", "nobody@remote.example"},
                      {.stdin_data = "Subject: by hand to Postfix\n\nhello\n"});
    INFO(r.out << postfix.log());
    CHECK(r.exit_code == 0);
    // joe accepted, nobody refused with Postfix's words, the message accepted for joe.
    CHECK(r.out.starts_with("r\0h127.0.0.1 does not like recipient.\nRemote host said: 550 5.1.1 "
                            "<nobody@remote.example>: Recipient address rejected:"s));
    CHECK(
        r.out.find("\0K127.0.0.1 accepted message.\nRemote host said: 250 2.0.0 Ok: queued as "s) !=
        std::string::npos);
    CHECK(r.out.ends_with("\n\0"s));
    REQUIRE(qmtest::wait_for([&] { return postfix.delivered("joe@remote.example").size() == 1; }));
    const std::string got = postfix.delivered("joe@remote.example")[0];
    CHECK(got.starts_with("Return-Path: <alice@test.example>\n"));
    CHECK(got.find("\nSubject: by hand to Postfix\n") != std::string::npos);
    CHECK(got.ends_with("\n\nhello\n")); // Postfix adds Date and Message-Id before the body
}

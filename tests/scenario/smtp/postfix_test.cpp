// A real Postfix (Debian's, a private instance in a temporary directory) relaying to our
// qmail-smtpd daemon over loopback, with and without STARTTLS. Needs root (postfix -c).
#include "postfix.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

TEST_CASE("Postfix relays to qmail-smtpd, in the clear and with STARTTLS",
          "[scenario][smtp][postfix]") {
    if (auto why = qmtest::postfix_unavailable())
        return qmtest::skip(*why);
    for (bool tls : {false, true}) {
        INFO("tls " << tls);
        qmtest::MailRoot root;
        root.control("rcpthosts", "test.example\n");
        if (tls)
            root.server_certificate();
        const int ours = qmtest::free_port(), theirs = qmtest::free_port();
        auto smtpd = root.start(
            {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(ours)},
            "smtpd.log");
        REQUIRE(qmtest::wait_for(
            [&] { return smtpd->log().find("status: listening") != std::string::npos; }));
        qmtest::PrivatePostfix postfix;
        postfix.start(theirs, "relayhost = [127.0.0.1]:" + std::to_string(ours) +
                                  "\nsmtp_tls_security_level = " + (tls ? "encrypt" : "none") +
                                  "\n");
        auto sent = qmtest::run({"/usr/bin/swaks", "--server", "127.0.0.1", "--port",
                                 std::to_string(theirs), "--from", "ann@pf.test", "--to",
                                 "joe@test.example", "--header", "Subject: through Postfix",
                                 "--body", ".leading dot\nline two"});
        REQUIRE(sent.exit_code == 0);
        REQUIRE(
            qmtest::wait_for([&] { return qmtest::list_dir(root / "queue/todo").size() == 1; }));
        const std::string id = qmtest::list_dir(root / "queue/todo")[0];
        const std::string msg =
            qmtest::slurp(root / ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
        INFO(msg << postfix.log());
        CHECK(msg.find(tls ? " with ESMTPS; " : " with ESMTP; ") != std::string::npos);
        CHECK(msg.find("by pf.test (Postfix)") != std::string::npos);
        CHECK(msg.find("\nSubject: through Postfix\n") != std::string::npos);
        CHECK(msg.find("\n.leading dot\nline two\n") != std::string::npos);
        // Postfix logs the delivery after our 250, so the log may lag the queue a little.
        CHECK(qmtest::wait_for(
            [&] { return postfix.log().find("status=sent (250 2.0.0 ok ") != std::string::npos; }));
    }
}

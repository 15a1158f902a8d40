// The Session state machine on its own, for what needs no qmail-queue.
#include "qm/smtp/session.hpp"

#include <catch2/catch.hpp>

using qm::smtp::Session;

namespace {

std::shared_ptr<const qm::smtp::Controls> controls() {
    auto c = std::make_shared<qm::smtp::Controls>();
    c->greeting = "mx.example";
    c->rcpthosts = {"example.org"};
    return c;
}

} // namespace

TEST_CASE("commands pipelined after STARTTLS are never obeyed", "[smtp][session]") {
    qm::smtp::Features f;
    f.tls_available = true;
    Session s(controls(), {}, f);
    // The STARTTLS command injection attack (CVE-2011-0411 in other servers): plaintext
    // commands sent with STARTTLS must not run inside the TLS session.
    auto step =
        s.receive("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<v@example.org>\r\n");
    CHECK(step == Session::Step::starttls);
    CHECK(s.output().ends_with(
        "250-STARTTLS\r\n250 ENHANCEDSTATUSCODES\r\n220 2.0.0 ready to start TLS\r\n"));
    s.output().clear();
    s.tls_started();
    CHECK(s.receive({}) == Session::Step::need_input);
    CHECK(s.output().empty());
    // After the handshake: EHLO again, no STARTTLS offered, and MAIL works from scratch.
    s.receive("EHLO c\r\nSTARTTLS\r\nRCPT TO:<v@example.org>\r\n");
    CHECK(s.output().find("STARTTLS\r\n") == std::string::npos);
    CHECK(s.output().ends_with("503 5.5.1 TLS is already active\r\n503 5.5.1 MAIL first\r\n"));
}

TEST_CASE("STARTTLS is unimplemented without a certificate, AUTH without submission",
          "[smtp][session]") {
    Session s(controls(), {});
    s.receive("EHLO c\r\nSTARTTLS\r\nAUTH PLAIN AGpvZQBzZWNyZXQ=\r\n");
    CHECK(s.output().find("STARTTLS\r\n") == std::string::npos);
    CHECK(s.output().ends_with("502 5.5.1 unimplemented\r\n502 5.5.1 unimplemented\r\n"));
}

TEST_CASE("AUTH exchanges: PLAIN, LOGIN, cancel, malformed", "[smtp][session]") {
    qm::smtp::Features f;
    f.tls_available = true;
    f.submission = true;
    f.checkpassword = {"/bin/false"};
    Session s(controls(), {}, f);
    s.receive("EHLO c\r\nSTARTTLS\r\n");
    s.tls_started();
    s.output().clear();
    // PLAIN with the response on the next line; checkpassword (here /bin/false) says no.
    CHECK(s.receive("EHLO c\r\nAUTH PLAIN\r\n") == Session::Step::need_input);
    CHECK(s.output().ends_with("250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n334 \r\n"));
    s.output().clear();
    CHECK(s.receive("AGpvZQBzZWNyZXQ=\r\n") == Session::Step::blocking);
    s.run_blocking();
    CHECK(s.output() == "535 5.7.8 authentication failed\r\n");
    s.output().clear();
    // LOGIN, cancelled at the password prompt.
    s.receive("AUTH LOGIN\r\nam9l\r\n*\r\n");
    CHECK(s.output() ==
          "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n501 5.0.0 authentication cancelled\r\n");
    s.output().clear();
    s.receive("AUTH PLAIN !!!!\r\nAUTH PLAIN am9l\r\nAUTH CRAM-MD5\r\nMAIL FROM:<a@b>\r\n");
    CHECK(s.output() == "501 5.5.2 malformed AUTH PLAIN response\r\n"
                        "501 5.5.2 malformed AUTH PLAIN response\r\n"
                        "504 5.5.4 unrecognized authentication type\r\n"
                        "530 5.7.0 authentication required\r\n");
}

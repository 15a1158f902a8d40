// DKIM against a real verifier: dkim-keygen's keys and records, our signatures checked by
// OpenDKIM's opendkim-testmsg through DNS (tests/support/opendkim.hpp).
#include "../remote/sender.hpp"
#include "opendkim.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/dkim/sign.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

namespace fs = std::filesystem;
using qmtest::can_make_namespaces;
using qmtest::dnsmasq_txt;
using qmtest::keygen;
using qmtest::Made;
using qmtest::testmsg;

TEST_CASE("OpenDKIM's opendkim-testmsg verifies our RSA and Ed25519 signatures through DNS "
          "records dkim-keygen printed - and refuses a changed message",
          "[scenario][dkim]") {
    if (!fs::exists("/usr/sbin/opendkim-testmsg") || !fs::exists("/usr/sbin/dnsmasq"))
        return qmtest::skip("opendkim-tools or dnsmasq is not installed");
    if (!can_make_namespaces())
        return qmtest::skip("network namespaces need root (unshare -n -m)");
    qmtest::MailRoot root;
    const Made rsa = keygen(root, {"example.org", "s2026"});
    const Made ed = keygen(root, {"--ed25519", "example.org", "ed2026"});
    CHECK(rsa.line == "example.org:s2026:dkim/example.org.s2026.key");
    CHECK(ed.line == "example.org:ed2026:dkim/example.org.ed2026.key");
    CHECK(rsa.strings.size() == 2); // 392 characters: no single string holds them
    struct stat st {};
    REQUIRE(::stat((root / "control/dkim/example.org.s2026.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // A key that exists is never overwritten.
    auto again = root.run({qmtest::bin("dkim-keygen"), "example.org", "s2026"});
    CHECK(again.exit_code == 100);

    // The keys through control/dkimkeys, as the signing path reads them.
    auto entries = qm::dkim::parse_dkimkeys(rsa.line + "\n" + ed.line + "\n", "dkimkeys");
    REQUIRE(entries);
    const std::string message = "From: Ann <ann@example.org>\n"
                                "To: joe@x.example\n"
                                "Subject: signed\n"
                                "Date: Sun, 06 Dec 2026 16:00:00 +0000\n"
                                "Message-ID: <dkim-1@example.org>\n"
                                "\n"
                                "hello\n";
    const std::vector<std::string> records = {dnsmasq_txt("s2026._domainkey.example.org", rsa),
                                              dnsmasq_txt("ed2026._domainkey.example.org", ed)};
    for (const auto& e : qm::dkim::entries_for(*entries, "example.org")) {
        INFO(e.selector);
        auto key =
            qm::dkim::load_signing_key(e.domain, e.selector, root / ("control/" + e.key_file));
        REQUIRE(key);
        auto sig = qm::dkim::signature(message, *key);
        REQUIRE(sig);
        qmtest::TempDir dir;
        auto good = testmsg(dir, records, *sig + message);
        INFO(good.out << good.err << qmtest::slurp(dir / "dns.log"));
        CHECK(good.exit_code == 0);
        CHECK(good.err.empty());
        // It asked DNS for the record.
        CHECK(qmtest::slurp(dir / "dns.log")
                  .find("query[TXT] " + e.selector + "._domainkey.example.org") !=
              std::string::npos);
        qmtest::TempDir dir2;
        std::string changed = *sig + message;
        changed.replace(changed.find("hello"), 5, "howdy");
        auto bad = testmsg(dir2, records, changed);
        CHECK(bad.exit_code != 0);
        CHECK(bad.err.find("dkim_eom()") != std::string::npos);
    }
}

TEST_CASE("remote delivery signs with the From domain's key over SMTP and over QMTP - "
          "opendkim-testmsg verifies what the peers queued",
          "[scenario][dkim][remote]") {
    if (!fs::exists("/usr/sbin/opendkim-testmsg") || !fs::exists("/usr/sbin/dnsmasq"))
        return qmtest::skip("opendkim-tools or dnsmasq is not installed");
    if (!can_make_namespaces())
        return qmtest::skip("network namespaces need root (unshare -n -m)");
    // The receiving host: qmail-smtpd and qmail-qmtpd daemons; what they accept stays queued.
    qmtest::MailRoot peer;
    peer.control("rcpthosts", "remote.example\nlists.example\n");
    const int smtp_port = qmtest::free_port();
    const int qmtp_port = qmtest::free_port();
    auto smtpd = peer.start(
        {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(smtp_port)},
        "smtpd.log");
    auto qmtpd = peer.start(
        {qmtest::bin("qmail-qmtpd"), "--listen", "127.0.0.1:" + std::to_string(qmtp_port)},
        "qmtpd.log");
    REQUIRE(qmtest::wait_for([&] {
        return smtpd->log().find("status: listening") != std::string::npos &&
               qmtpd->log().find("status: listening") != std::string::npos;
    }));

    remotetest::Sender s;
    const Made rsa = keygen(s.root, {"test.example", "s2026"});
    const Made ed = keygen(s.root, {"--ed25519", "test.example", "ed2026"});
    // Both sign (the way a domain adds Ed25519 while receivers that lack it use RSA); the
    // Ed25519 one is made by the dkim-sign helper.
    s.root.control("dkimkeys", rsa.line + "\n" + ed.line + "\n");
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(smtp_port) + "\n");
    s.root.control("qmtproutes", "lists.example:127.0.0.1:" + std::to_string(qmtp_port) + "\n");
    s.start();
    // A Date field: opendkim-testmsg takes a message without one (RFC 5322 requires it) for
    // a syntax error.
    s.inject("alice@test.example", {"joe@remote.example", "ann@lists.example"},
             "From: Alice <alice@Test.Example>\nTo: joe@remote.example\nSubject: signed on "
             "the way out\nDate: Sun, 06 Dec 2026 16:00:00 +0000\nMessage-ID: "
             "<out-1@test.example>\n\nhello\n.dot\n");
    REQUIRE(s.wait_log(": success: ", 2));
    const auto queued = qmtest::list_dir(peer / "queue/todo");
    REQUIRE(queued.size() == 2);
    for (const auto& id : queued) {
        const std::string got =
            qmtest::slurp(peer / ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
        INFO(got);
        // Below the peer's Received line, our signature heads the message.
        CHECK(got.find("\nDKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=test.example;") !=
              std::string::npos);
        CHECK(got.find("\nDKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; "
                       "d=test.example;") != std::string::npos);
        // Each signature alone verifies with its own record (the other one's record
        // missing, as at a receiver that knows only one algorithm).
        for (const Made* m : {&rsa, &ed}) {
            const std::string selector = m == &rsa ? "s2026" : "ed2026";
            qmtest::TempDir dir;
            auto verdict =
                testmsg(dir, {dnsmasq_txt(selector + "._domainkey.test.example", *m)}, got);
            INFO(selector << ": " << verdict.out << verdict.err);
            CHECK(verdict.exit_code == 0);
        }
    }
    // One signing for both copies: the scan, signature included, is remembered.
    CHECK(remotetest::count_of(s.log(), "starting delivery") == 2);
}

TEST_CASE("a DKIM key remote delivery cannot read defers the remote mail, naming it - qmail-send "
          "runs on and local mail is delivered",
          "[scenario][dkim][remote]") {
    remotetest::Sender s;
    s.root.control("dkimkeys", "test.example:gone:dkim/test.example.gone.key\n");
    s.root.control("smtproutes",
                   "remote.example:127.0.0.1:" + std::to_string(qmtest::free_port()) + "\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example", "alice@test.example"},
             "From: alice@test.example\nSubject: x\n\nhello\n");
    REQUIRE(s.wait_log(": deferral: "));
    REQUIRE(s.wait_log(": success: did_1+0+0/"));
    const std::string log = s.log();
    INFO(log);
    CHECK(
        std::regex_search(log, std::regex("delivery [0-9]+: deferral: Unable_to_sign_the_message:_"
                                          "[^\n]*test.example.gone.key")));
    CHECK(qmtest::list_dir(s.root / "users/alice/Maildir/new").size() == 1);
}

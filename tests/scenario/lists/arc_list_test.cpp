// ARC end to end: a post from outside comes in through qmail-smtpd with control/authcheck
// (SPF, DKIM, DMARC and ARC against dnsmasq), the list tags its subject - which breaks the
// poster's DKIM signature - and remote delivery signs the copy as the list's domain and
// seals it; dkimpy's arc_verify (tests/support/dkimpy.hpp) passes what the reader's
// server received, and its ARC-Authentication-Results still say the poster passed.
#include "dkimpy.hpp"
#include "dns_server.hpp"
#include "list_mta.hpp"
#include "opendkim.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/dkim/sign.hpp"
#include "qm/dkim/verify.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

TEST_CASE("a list post checked at qmail-smtpd leaves sealed by the list - dkimpy passes the "
          "chain at the reader's server though the poster's signature broke",
          "[scenario][lists][dkim][arc]") {
    if (!qmtest::have_dkimpy())
        return qmtest::skip("python3-dkim is not installed (script/bootstrap installs it)");
    auto poster = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(poster);
    std::vector<std::string> records = {"--txt-record=poster.example,v=spf1 ip4:192.0.2.7 -all",
                                        "--txt-record=_dmarc.poster.example,v=DMARC1; p=none"};
    std::string option = "--txt-record=p1._domainkey.poster.example";
    for (size_t i = 0; i < poster->txt.size(); i += 250)
        option += "," + poster->txt.substr(i, 250);
    records.push_back(option);
    qmtest::DnsServer dns(records);

    // The reader's server: qmail-smtpd keeping what it accepts in its queue.
    qmtest::MailRoot reader;
    reader.control("rcpthosts", "remote.example\n");
    const int port = qmtest::free_port();
    auto smtpd = reader.start(
        {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(port)}, "smtpd.log");
    REQUIRE(qmtest::wait_for(
        [&] { return smtpd->log().find("status: listening") != std::string::npos; }));

    liststest::ListMta m;
    m.make({"-f"}); // "[joe-team] " before each subject
    m.root.control("rcpthosts", "test.example\n");
    m.root.control("authcheck", "spf\ndkim\ndmarc\narc\n");
    m.root.control("authservid", "mx.test.example\n");
    m.root.control("dnsservers", dns.address() + "\n");
    m.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(port) + "\n");
    const qmtest::Made key = qmtest::keygen(m.root, {"test.example", "list2026"});
    m.root.control("dkimkeys", key.line + "\n");
    m.subscribe("reader@remote.example");
    m.start();

    // Ann posts from her provider (192.0.2.7, which poster.example's SPF names), signed.
    const std::string post = "From: Ann <ann@poster.example>\n"
                             "To: joe-team@test.example\n"
                             "Subject: the agenda\n"
                             "Date: Sun, 06 Dec 2026 16:00:00 +0000\n"
                             "Message-ID: <agenda@poster.example>\n"
                             "\n"
                             "Hello,\n\n  the agenda for Monday.\n";
    qmtest::spit(m.root / "poster.key", poster->private_pem, 0600);
    auto poster_key = qm::dkim::load_signing_key("poster.example", "p1", m.root / "poster.key");
    REQUIRE(poster_key);
    auto signature = qm::dkim::signature(post, *poster_key);
    REQUIRE(signature);
    const std::string message = *signature + post;
    std::string data; // no line starts with a dot
    for (size_t pos = 0; pos < message.size();) {
        const size_t nl = message.find('\n', pos);
        data += message.substr(pos, nl - pos) + "\r\n";
        pos = nl + 1;
    }
    auto e = m.root.env();
    e["TCPREMOTEIP"] = "192.0.2.7";
    e["TCPREMOTEHOST"] = "mail.poster.example";
    e["TCPLOCALIP"] = "192.0.2.1";
    e["TCPLOCALHOST"] = "mx.test.example";
    auto r = m.root.run({qmtest::bin("qmail-smtpd")},
                        {.stdin_data = "EHLO mail.poster.example\r\n"
                                       "MAIL FROM:<ann@poster.example>\r\n"
                                       "RCPT TO:<joe-team@test.example>\r\nDATA\r\n" +
                                       data + ".\r\nQUIT\r\n",
                         .env = e,
                         .unset_env = {"RELAYCLIENT"}});
    INFO(r.out << r.err);
    REQUIRE(r.out.find("\r\n250 2.0.0 ok") != std::string::npos);

    REQUIRE(qmtest::wait_for([&] { return qmtest::list_dir(reader / "queue/todo").size() == 1; }));
    const std::string id = qmtest::list_dir(reader / "queue/todo").front();
    const std::string got =
        qmtest::slurp(reader / ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
    INFO(got);
    CHECK(liststest::has_line(got, "Subject: [joe-team] the agenda"));
    // Our set, newest on top below the reader's Received line; its results are what
    // qmail-smtpd found as the post came in.
    const size_t seal = got.find("\nARC-Seal: i=1; a=rsa-sha256; t=");
    const size_t signature_at = got.find("\nARC-Message-Signature: i=1; a=rsa-sha256;");
    const size_t results_at =
        got.find("\nARC-Authentication-Results: i=1; mx.test.example;\n\tspf=pass");
    CHECK(seal < signature_at);
    CHECK(signature_at < results_at);
    CHECK(results_at < got.find("\nDKIM-Signature:"));
    const std::string unfolded = std::regex_replace(got, std::regex("\n\t"), " ");
    CHECK(unfolded.find("cv=none; d=test.example; s=list2026; b=") != std::string::npos);
    const std::string aar = got.substr(results_at, got.find("\nDKIM-Signature:") - results_at);
    CHECK(aar.find("\tdkim=pass header.d=poster.example header.s=p1;\n") != std::string::npos);
    CHECK(aar.find("\tdmarc=pass (p=none) header.from=poster.example;\n") != std::string::npos);
    CHECK(aar.ends_with(";\n\tarc=none"));

    qmtest::TempDir dir;
    const auto verdict = qmtest::dkimpy_verify(dir,
                                               {{"list2026._domainkey.test.example", key.txt},
                                                {"p1._domainkey.poster.example", poster->txt}},
                                               got);
    INFO(verdict.log);
    CHECK(verdict.cv == "pass");
    CHECK(verdict.sets == std::vector<std::string>{"i=1 ams=1 as=1 cv=none"});
    CHECK(verdict.dkim == "pass"); // the list's own signature, on top

    // The poster's signature broke on the subject tag: ARC is what carries her pass on.
    auto checks = qm::dkim::verify(got, {dns.address(), 2000, 1});
    REQUIRE(checks);
    const auto ann = std::find_if(checks->begin(), checks->end(),
                                  [](const auto& c) { return c.domain == "poster.example"; });
    REQUIRE(ann != checks->end());
    CHECK(ann->verdict == qm::dkim::Verdict::fail);
}

// A list signs as the list: ezmlm-send's copies to a remote reader carry a DKIM signature
// of the list's domain - aligned with the From when DMARC mitigation rewrote it to the
// list, and with the VERP return path otherwise - covering List-Unsubscribe and
// List-Unsubscribe-Post; OpenDKIM's opendkim-testmsg verifies each copy the reader's
// server queued, and a Postfix running OpenDKIM and OpenDMARC as milters finds the
// rewritten post passing DMARC as the list's.
#include "dns_server.hpp"
#include "list_mta.hpp"
#include "milter.hpp"
#include "opendkim.hpp"
#include "postfix.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>

TEST_CASE("a list's copies are signed as the list's domain and verify at the reader's server",
          "[scenario][lists][dkim]") {
    if (!std::filesystem::exists("/usr/sbin/opendkim-testmsg"))
        return qmtest::skip("opendkim-tools is not installed");
    if (!qmtest::can_make_namespaces())
        return qmtest::skip("network namespaces need root (unshare -n -m)");
    qmtest::DnsServer dns({"--txt-record=_dmarc.strict.example,v=DMARC1; p=reject",
                           "--txt-record=_dmarc.relaxed.example,v=DMARC1; p=none"});
    // The reader's server: qmail-smtpd keeping what it accepts in its queue.
    qmtest::MailRoot reader;
    reader.control("rcpthosts", "remote.example\n");
    const int port = qmtest::free_port();
    auto smtpd = reader.start(
        {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(port)}, "smtpd.log");
    REQUIRE(qmtest::wait_for(
        [&] { return smtpd->log().find("status: listening") != std::string::npos; }));

    liststest::ListMta m;
    m.make();
    m.root.control("dnsservers", dns.address() + "\n");
    m.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(port) + "\n");
    const qmtest::Made key = qmtest::keygen(m.root, {"test.example", "list2026"});
    m.root.control("dkimkeys", key.line + "\n");
    m.subscribe("reader@remote.example");
    m.start();
    m.inject("From: Rita <rita@strict.example>\nTo: joe-team@test.example\nSubject: strict\n"
             "Date: Sun, 06 Dec 2026 16:00:00 +0000\nMessage-ID: <s@strict.example>\n\n"
             "from a p=reject domain\n");
    m.inject("From: Nora <nora@relaxed.example>\nTo: joe-team@test.example\nSubject: relaxed\n"
             "Date: Sun, 06 Dec 2026 16:00:01 +0000\nMessage-ID: <r@relaxed.example>\n\n"
             "from a p=none domain\n");
    REQUIRE(qmtest::wait_for([&] { return qmtest::list_dir(reader / "queue/todo").size() == 2; }));
    for (const auto& id : qmtest::list_dir(reader / "queue/todo")) {
        const std::string got = qmtest::slurp(
            reader / ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
        INFO(got);
        const bool rewritten = got.find("from a p=reject domain") != std::string::npos;
        // The From is the list's after the rewrite, the poster's otherwise; the signature
        // is the list's domain's either way (the return path is the list's VERP address).
        CHECK(liststest::has_line(got, rewritten
                                           ? "From: \"Rita via joe-team\" <joe-team@test.example>"
                                           : "From: Nora <nora@relaxed.example>"));
        std::smatch sig;
        REQUIRE(
            std::regex_search(got, sig, std::regex("\nDKIM-Signature: ([^\n]*(\n[ \t][^\n]*)*)")));
        std::string fields = std::regex_replace(sig[1].str(), std::regex("[\r\n\t ]"), "");
        std::transform(fields.begin(), fields.end(), fields.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        CHECK(fields.find("d=test.example;s=list2026;") != std::string::npos);
        if (got.find("\nList-Unsubscribe:") != std::string::npos)
            CHECK(fields.find("list-unsubscribe") != std::string::npos);
        if (got.find("\nList-Unsubscribe-Post:") != std::string::npos)
            CHECK(fields.find("list-unsubscribe-post") != std::string::npos);
        qmtest::TempDir dir;
        auto verdict = qmtest::testmsg(
            dir, {qmtest::dnsmasq_txt("list2026._domainkey.test.example", key)}, got);
        INFO(verdict.out << verdict.err);
        CHECK(verdict.exit_code == 0);
    }
}

TEST_CASE("a list post from a p=reject domain passes DKIM and DMARC at a Postfix running "
          "OpenDKIM and OpenDMARC as milters once its From is the list's",
          "[scenario][lists][dkim][postfix][milter]") {
    if (auto why = qmtest::postfix_unavailable())
        return qmtest::skip(*why);
    if (auto why = qmtest::milters_unavailable())
        return qmtest::skip(*why);
    // The posters' policies (ezmlm-send asks for them through control/dnsservers) and the
    // list domain's; the receiver's milters see the same records and the list's key.
    std::vector<std::string> records = {"--txt-record=_dmarc.strict.example,v=DMARC1; p=reject",
                                        "--txt-record=_dmarc.relaxed.example,v=DMARC1; p=none",
                                        "--txt-record=_dmarc.test.example,v=DMARC1; p=reject"};
    qmtest::DnsServer dns(records);
    liststest::ListMta m;
    m.make();
    m.root.control("dnsservers", dns.address() + "\n");
    const qmtest::Made key = qmtest::keygen(m.root, {"test.example", "list2026"});
    m.root.control("dkimkeys", key.line + "\n");
    records.push_back(qmtest::dnsmasq_txt("list2026._domainkey.test.example", key));
    qmtest::VerifyingMilters milters(records);
    qmtest::PrivatePostfix postfix;
    const int port = qmtest::free_port();
    postfix.start(port,
                  postfix.virtual_maildirs({"reader@remote.example"}) + milters.postfix_settings(),
                  qmtest::PrivatePostfix::virtual_service);
    m.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(port) + "\n");
    m.subscribe("reader@remote.example");
    m.start();
    m.inject("From: Rita <rita@strict.example>\nTo: joe-team@test.example\nSubject: strict\n"
             "Date: Sun, 06 Dec 2026 16:00:00 +0000\nMessage-ID: <s@strict.example>\n\n"
             "from a p=reject domain\n");
    m.inject("From: Nora <nora@relaxed.example>\nTo: joe-team@test.example\nSubject: relaxed\n"
             "Date: Sun, 06 Dec 2026 16:00:01 +0000\nMessage-ID: <r@relaxed.example>\n\n"
             "from a p=none domain\n");
    const bool both =
        qmtest::wait_for([&] { return postfix.delivered("reader@remote.example").size() == 2; });
    INFO(m.send->log() << postfix.log() << milters.log() << milters.dns_log());
    REQUIRE(both);
    for (const auto& got : postfix.delivered("reader@remote.example")) {
        INFO(got);
        const auto results = qmtest::authentication_results(got);
        const auto has = [&](const std::string& re) {
            return std::any_of(results.begin(), results.end(), [&](const std::string& f) {
                return std::regex_search(f, std::regex(re));
            });
        };
        // Either copy: the list's signature passes at the receiver.
        CHECK(has("^pf\\.test; dkim=pass \\(2048-bit key; unprotected\\) "
                  "header\\.d=test\\.example header\\.i=@test\\.example header\\.a=rsa-sha256 "
                  "header\\.s=list2026 header\\.b=[^ ;]+; dkim-atps=neutral$"));
        if (got.find("from a p=reject domain") != std::string::npos) {
            // Rewritten to the list's address: DMARC passes on the list's own signature.
            CHECK(liststest::has_line(got, "From: \"Rita via joe-team\" <joe-team@test.example>"));
            CHECK(has("^pf\\.test; dmarc=pass \\(p=reject dis=none\\) "
                      "header\\.from=test\\.example$"));
        } else {
            // The p=none poster's From stays: the list's signature does not align with it,
            // and the receiver's DMARC check says so.
            CHECK(liststest::has_line(got, "From: Nora <nora@relaxed.example>"));
            CHECK(has("^pf\\.test; dmarc=fail \\(p=none dis=none\\) "
                      "header\\.from=relaxed\\.example$"));
        }
        CHECK(results.size() == 2); // OpenDKIM's and OpenDMARC's, nothing else
    }
}

// DKIM against a real verifier: dkim-keygen's keys and records, our signatures checked by
// OpenDKIM's opendkim-testmsg through DNS (tests/support/opendkim.hpp), and by a Postfix
// that runs OpenDKIM and OpenDMARC as milters (tests/support/milter.hpp).
#include "../remote/sender.hpp"
#include "dns_server.hpp"
#include "milter.hpp"
#include "opendkim.hpp"
#include "postfix.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/dkim/sign.hpp"
#include "qm/dkim/verify.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>

using namespace std::string_literals;
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

namespace {

// The delivered message whose header has this Message-ID field.
std::string with_message_id(const std::vector<std::string>& messages, const std::string& id) {
    for (const auto& m : messages)
        if (m.find("\nMessage-ID: " + id + "\n") != std::string::npos)
            return m;
    return {};
}

// True when one of the fields matches re.
bool any_matches(const std::vector<std::string>& fields, const std::string& re) {
    return std::any_of(fields.begin(), fields.end(),
                       [&](const std::string& f) { return std::regex_search(f, std::regex(re)); });
}

} // namespace

TEST_CASE("remote delivery's RSA and Ed25519 signatures pass at a Postfix running OpenDKIM as a "
          "milter - a signature whose DNS record is another key fails",
          "[scenario][dkim][remote][postfix][milter]") {
    if (auto why = qmtest::postfix_unavailable())
        return qmtest::skip(*why);
    if (auto why = qmtest::milters_unavailable())
        return qmtest::skip(*why);
    remotetest::Sender s;
    const Made rsa = keygen(s.root, {"test.example", "s2026"});
    const Made ed = keygen(s.root, {"--ed25519", "test.example", "ed2026"});
    // forged.example signs with one key while DNS publishes another at its selector.
    const Made forged = keygen(s.root, {"forged.example", "f1"});
    qmtest::MailRoot elsewhere;
    const Made published = keygen(elsewhere, {"forged.example", "f1"});
    REQUIRE(published.txt != forged.txt);
    s.root.control("dkimkeys", rsa.line + "\n" + ed.line + "\n" + forged.line + "\n");

    qmtest::VerifyingMilters milters({dnsmasq_txt("s2026._domainkey.test.example", rsa),
                                      dnsmasq_txt("ed2026._domainkey.test.example", ed),
                                      dnsmasq_txt("f1._domainkey.forged.example", published),
                                      "--txt-record=_dmarc.test.example,v=DMARC1; p=reject",
                                      "--txt-record=_dmarc.forged.example,v=DMARC1; p=reject"});
    qmtest::PrivatePostfix postfix;
    const int port = qmtest::free_port();
    postfix.start(port,
                  postfix.virtual_maildirs({"joe@remote.example"}) + milters.postfix_settings(),
                  qmtest::PrivatePostfix::virtual_service);
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(port) + "\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example"},
             "From: Alice <alice@test.example>\nTo: joe@remote.example\nSubject: signed twice\n"
             "Date: Sun, 06 Dec 2026 16:00:00 +0000\nMessage-ID: <good@test.example>\n\nhello\n");
    s.inject("mallory@forged.example", {"joe@remote.example"},
             "From: Mallory <mallory@forged.example>\nTo: joe@remote.example\nSubject: wrong key\n"
             "Date: Sun, 06 Dec 2026 16:00:01 +0000\nMessage-ID: <bad@forged.example>\n\nhello\n");
    // Accepted: a milter that failed would have made Postfix defer (tempfail).
    REQUIRE(s.wait_log(": success: 127.0.0.1_accepted_message.", 2));
    REQUIRE(qmtest::wait_for([&] { return postfix.delivered("joe@remote.example").size() == 2; }));
    const auto delivered = postfix.delivered("joe@remote.example");
    INFO(postfix.log() << milters.log() << milters.dns_log());

    const std::string good = with_message_id(delivered, "<good@test.example>");
    INFO(good);
    REQUIRE(!good.empty());
    const auto good_results = qmtest::authentication_results(good);
    // OpenDKIM's field: each signature with the key it was checked with.
    CHECK(any_matches(good_results, "^pf\\.test;.* dkim=pass \\(2048-bit key; unprotected\\) "
                                    "header\\.d=test\\.example header\\.i=@test\\.example "
                                    "header\\.a=rsa-sha256 header\\.s=s2026 header\\.b="));
    CHECK(any_matches(good_results, "^pf\\.test;.* dkim=pass header\\.d=test\\.example "
                                    "header\\.i=@test\\.example header\\.a=ed25519-sha256 "
                                    "header\\.s=ed2026 header\\.b="));
    CHECK_FALSE(any_matches(good_results, "dkim=(fail|neutral|temperror|permerror|none)"));
    // OpenDMARC's, from OpenDKIM's results (SPF left out): aligned with the From.
    CHECK(any_matches(
        good_results,
        "^pf\\.test; dmarc=pass \\(p=reject dis=none\\) header\\.from=test\\.example$"));

    const std::string bad = with_message_id(delivered, "<bad@forged.example>");
    INFO(bad);
    REQUIRE(!bad.empty());
    const auto bad_results = qmtest::authentication_results(bad);
    CHECK(any_matches(bad_results,
                      "^pf\\.test; dkim=fail reason=\"signature verification failed\" "
                      "\\(2048-bit key; unprotected\\) header\\.d=forged\\.example "
                      "header\\.i=@forged\\.example header\\.a=rsa-sha256 header\\.s=f1 "
                      "header\\.b="));
    CHECK_FALSE(any_matches(bad_results, "dkim=pass"));
    CHECK(any_matches(bad_results, "^pf\\.test; dmarc=fail \\(p=reject dis=none\\) "
                                   "header\\.from=forged\\.example$"));
    // The keys came from DNS.
    for (const char* name : {"s2026._domainkey.test.example", "ed2026._domainkey.test.example",
                             "f1._domainkey.forged.example", "_dmarc.test.example"})
        CHECK(milters.dns_log().find(std::string("query[TXT] ") + name + " ") != std::string::npos);
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

TEST_CASE("root mode: dkim-keygen gives the keys to qmailr - qmail-send starts although it "
          "cannot read them - qmail-rspawn signs with RSA and, through dkim-sign, Ed25519",
          "[scenario][dkim][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    const passwd* qmailr = ::getpwnam("qmailr");
    REQUIRE(qmailr);
    const uid_t qmailr_uid = qmailr->pw_uid; // getpwnam's storage is reused by the next call
    // The receiving host, as in the test above (normal-user mode).
    qmtest::MailRoot peer;
    peer.control("rcpthosts", "remote.example\n");
    const int port = qmtest::free_port();
    auto smtpd = peer.start(
        {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(port)}, "smtpd.log");
    REQUIRE(qmtest::wait_for(
        [&] { return smtpd->log().find("status: listening") != std::string::npos; }));

    qmtest::TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    const std::string home = dir / "qmail";
    const std::map<std::string, std::string> env = {{"QMAILHOME", home}};
    REQUIRE(qmtest::run({qmtest::bin("qmail-install"), home}, {.env = env}).exit_code == 0);
    qmtest::spit(home + "/control/me", "test.example\n");
    qmtest::spit(home + "/control/smtproutes",
                 "remote.example:127.0.0.1:" + std::to_string(port) + "\n");
    std::string lines, records;
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"test.example", "r1"},
          std::vector<std::string>{"--ed25519", "test.example", "e1"}}) {
        std::vector<std::string> argv{qmtest::bin("dkim-keygen")};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = qmtest::run(argv, {.env = env});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        std::smatch m;
        REQUIRE(std::regex_search(r.out, m, std::regex("\n([a-z.]+:[a-z0-9]+:dkim/[^\n]+)\n$")));
        lines += m[1].str() + "\n";
        std::smatch rec;
        REQUIRE(std::regex_search(r.out, rec,
                                  std::regex("^([a-z0-9]+)\\._domainkey\\.test\\.example\\. "
                                             "IN TXT \\(([^)]*)\\)",
                                             std::regex::multiline)));
        std::string txt;
        const std::string quoted = rec[2];
        const std::regex string_re("\"([^\"]*)\"");
        for (auto it = std::sregex_iterator(quoted.begin(), quoted.end(), string_re);
             it != std::sregex_iterator(); ++it)
            txt += (*it)[1];
        records += rec[1].str() + "._domainkey.test.example " + txt + "\n";
    }
    struct stat st {};
    REQUIRE(::stat((home + "/control/dkim/test.example.r1.key").c_str(), &st) == 0);
    CHECK(st.st_uid == qmailr_uid);
    CHECK((st.st_mode & 0777) == 0600);
    qmtest::spit(home + "/control/dkimkeys", lines);

    qmtest::Daemon d({qmtest::bin("qmail-start"), "./Maildir/"}, {.env = env}, dir / "start.log");
    REQUIRE(qmtest::wait_for([&] { return d.log().find("status: local") != std::string::npos; }));
    auto r = qmtest::run({home + "/bin/qmail-queue"},
                         {.stdin_data = "From: a@test.example\nTo: joe@remote.example\n"
                                        "Subject: root mode\nDate: Sun, 06 Dec 2026 17:00:00 "
                                        "+0000\n\nsigned by qmailr\n",
                          .fd1_input = "Fa@test.example\0Tjoe@remote.example\0\0"s,
                          .env = env});
    REQUIRE(r.exit_code == 0);
    INFO(d.log());
    REQUIRE(qmtest::wait_for([&] { return d.log().find("end msg ") != std::string::npos; }));
    CHECK(d.log().find(": success: 127.0.0.1_accepted_message.") != std::string::npos);
    const auto queued = qmtest::list_dir(peer / "queue/todo");
    REQUIRE(queued.size() == 1);
    const std::string got = qmtest::slurp(
        peer / ("queue/mess/" + std::to_string(std::stoul(queued[0]) % 23) + "/" + queued[0]));
    INFO(got);
    const std::string unfolded = std::regex_replace(got, std::regex("\n[\t ]+"), " ");
    CHECK(unfolded.find("a=rsa-sha256; c=relaxed/relaxed; d=test.example; s=r1;") !=
          std::string::npos);
    CHECK(unfolded.find("a=ed25519-sha256; c=relaxed/relaxed; d=test.example; s=e1;") !=
          std::string::npos);
    qmtest::spit(dir / "records", records);
    CHECK(qm::dkim::verify_with_key_file(got, dir / "records"));
}

TEST_CASE("DKIM verification asks DNS through c-ares - pass, a changed body fails, an unknown "
          "selector is a permerror, no DNS answer a temperror",
          "[scenario][dkim]") {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(pair);
    qmtest::TempDir dir;
    qmtest::spit(dir / "k.key", pair->private_pem, 0600);
    auto key = qm::dkim::load_signing_key("sign.example", "v1", dir / "k.key");
    REQUIRE(key);
    std::string record = "--txt-record=v1._domainkey.sign.example";
    for (size_t i = 0; i < pair->txt.size(); i += 250)
        record += "," + pair->txt.substr(i, 250);
    qmtest::DnsServer dns({record});
    const std::string message = "From: ann@sign.example\nTo: joe@x.example\nSubject: v\n"
                                "Date: Sun, 06 Dec 2026 17:00:00 +0000\n\nhello\n";
    auto sig = qm::dkim::signature(message, *key);
    REQUIRE(sig);
    const qm::dns::Config config{dns.address(), 2000, 1};
    auto good = qm::dkim::verify(*sig + message, config);
    REQUIRE(good);
    REQUIRE(good->size() == 1);
    CHECK(qm::dkim::verdict_name(good->front().verdict) == "pass");
    CHECK(good->front().domain == "sign.example");
    CHECK(good->front().selector == "v1");
    CHECK(dns.daemon->log().find("query[TXT] v1._domainkey.sign.example") != std::string::npos);

    std::string changed = *sig + message;
    changed.replace(changed.find("hello"), 5, "howdy");
    auto bad = qm::dkim::verify(changed, config);
    REQUIRE(bad);
    REQUIRE(bad->size() == 1);
    CHECK(qm::dkim::verdict_name(bad->front().verdict) == "fail");

    key->selector = "gone";
    auto unknown_sig = qm::dkim::signature(message, *key);
    REQUIRE(unknown_sig);
    auto unknown = qm::dkim::verify(*unknown_sig + message, config);
    REQUIRE(unknown);
    REQUIRE(unknown->size() == 1);
    CHECK(qm::dkim::verdict_name(unknown->front().verdict) == "permerror");

    auto none = qm::dkim::verify(message, config);
    REQUIRE(none);
    CHECK(none->empty());

    // Nobody answers on this port: the key cannot be fetched now.
    const qm::dns::Config silent{"127.0.0.1:" + std::to_string(qmtest::free_port()), 300, 1};
    auto unreachable = qm::dkim::verify(*sig + message, silent);
    REQUIRE(unreachable);
    REQUIRE(unreachable->size() == 1);
    CHECK(qm::dkim::verdict_name(unreachable->front().verdict) == "temperror");
}

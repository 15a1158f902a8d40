// DKIM against a real verifier: dkim-keygen's keys and records, our signatures checked by
// OpenDKIM's opendkim-testmsg, which looks the keys up in DNS: dnsmasq serving the records
// dkim-keygen printed, on port 53 of a private network namespace whose resolv.conf points
// at it (unshare -n -m; needs root, else skipped).
#include "../remote/sender.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/dkim/sign.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace {

struct Made {
    std::string txt;  // the record's text, its strings joined
    std::string line; // the control/dkimkeys line
    std::vector<std::string> strings;
};

Made keygen(const qmtest::MailRoot& root, const std::vector<std::string>& args) {
    std::vector<std::string> argv{qmtest::bin("dkim-keygen")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = root.run(argv);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    Made m;
    std::smatch record;
    REQUIRE(std::regex_search(r.out, record,
                              std::regex("\\._domainkey\\.[a-z.]+\\. IN TXT \\(([^)]*)\\)\n")));
    const std::string quoted = record[1];
    const std::regex string_re("\"([^\"]*)\"");
    for (auto it = std::sregex_iterator(quoted.begin(), quoted.end(), string_re);
         it != std::sregex_iterator(); ++it) {
        m.strings.push_back((*it)[1]);
        m.txt += (*it)[1];
    }
    std::smatch line;
    REQUIRE(std::regex_search(r.out, line, std::regex("\n([a-z.]+:[a-z0-9]+:dkim/[^\n]+)\n$")));
    m.line = line[1];
    return m;
}

// dnsmasq's option for a record: strings of at most 255 bytes, comma-separated.
std::string dnsmasq_txt(const std::string& name, const Made& m) {
    std::string option = "--txt-record=" + name;
    for (const auto& s : m.strings)
        option += "," + s;
    return option;
}

bool can_make_namespaces() {
    return ::geteuid() == 0 &&
           qmtest::run({"/usr/bin/unshare", "-n", "-m", "/bin/true"}).exit_code == 0;
}

// opendkim-testmsg's verdict on message, with records served by DNS in a namespace.
qmtest::RunResult testmsg(const qmtest::TempDir& dir, const std::vector<std::string>& records,
                          const std::string& message) {
    qmtest::spit(dir / "resolv.conf", "nameserver 127.0.0.1\n");
    qmtest::spit(dir / "message", message);
    std::string dnsmasq = "/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null "
                          "--port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv "
                          "--no-hosts --log-facility=- --log-queries";
    for (const auto& r : records)
        dnsmasq += " '" + r + "'";
    const std::string script = "ip link set lo up && mount --bind '" + (dir / "resolv.conf") +
                               "' /etc/resolv.conf || exit 90\n" + dnsmasq + " 2> '" +
                               (dir / "dns.log") +
                               "' &\n"
                               "for i in $(seq 100); do grep -q 'cleared cache' '" +
                               (dir / "dns.log") +
                               "' && break; sleep 0.05; done\n"
                               "/usr/sbin/opendkim-testmsg < '" +
                               (dir / "message") + "'\nrc=$?\nkill $!\nexit $rc\n";
    return qmtest::run({"/usr/bin/unshare", "-n", "-m", "/bin/sh", "-c", script});
}

} // namespace

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

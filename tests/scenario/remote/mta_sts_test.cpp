// MTA-STS (RFC 8461) end to end: the real qmail-send with control/tlspolicy ":sts"
// delivering to our qmail-smtpd with a certificate, the MX, TXT and A records served by
// the validating resolver stand-in, and the policy served over HTTPS on loopback by
// tests/support/https_server.py with a certificate of its own (control/mtastsport points
// remote delivery at its port; control/tlscafile holds the certificates the test trusts).
// An enforced policy is met, or the mail waits; a policy that cannot be had never stops
// mail, and the delivery report says why it was not used.
#include "sender.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

using remotetest::count_of;
using remotetest::Peer;
using remotetest::Resolver;
using remotetest::Sender;

// https://mta-sts.remote.example/.well-known/mta-sts.txt on a free loopback port.
struct PolicyServer {
    qmtest::TempDir dir;
    int port = qmtest::free_port();
    std::unique_ptr<qmtest::Daemon> daemon;

    explicit PolicyServer(const std::string& policy, const std::vector<std::string>& options = {}) {
        qmtest::self_signed_pem(dir / "https.pem", "mta-sts.remote.example");
        std::filesystem::create_directories(dir / "www/.well-known");
        qmtest::spit(dir / "www/.well-known/mta-sts.txt", policy);
        std::vector<std::string> argv{"/usr/bin/python3",
                                      std::string(QM_SOURCE_DIR) + "/tests/support/https_server.py",
                                      std::to_string(port), dir / "https.pem", dir / "www"};
        argv.insert(argv.end(), options.begin(), options.end());
        daemon = std::make_unique<qmtest::Daemon>(argv, qmtest::RunOptions{}, dir / "https.log");
        REQUIRE(
            qmtest::wait_for([&] { return daemon->log().find("listening") != std::string::npos; }));
    }
    [[nodiscard]] std::string pem() const { return dir / "https.pem"; }
    [[nodiscard]] size_t fetches() const {
        return count_of(daemon->log(),
                        "request GET /.well-known/mta-sts.txt mta-sts.remote.example");
    }
};

std::string enforce_policy(const std::string& mx) {
    return "version: STSv1\r\nmode: enforce\r\nmx: " + mx + "\r\nmax_age: 86400\r\n";
}

std::string zone(const std::string& txt_id, const std::string& extra = "") {
    return "remote.example. IN MX 10 mx.remote.example.\n"
           "mx.remote.example. IN A 127.0.0.2\n"
           "mta-sts.remote.example. IN A 127.0.0.1\n" +
           (txt_id.empty() ? std::string()
                           : "_mta-sts.remote.example. IN TXT \"v=STSv1; id=" + txt_id + ";\"\n") +
           extra;
}

std::string underscored(std::string s) {
    for (auto& c : s)
        if (c == ' ')
            c = '_';
    return s;
}

// A sender with tlspolicy ":sts", trusting the certificates in trusted (PEM files).
struct Setup {
    Peer& peer;
    Resolver resolver;
    PolicyServer& server;
    qmtest::TempDir cas;
    Sender s;

    Setup(Peer& p, PolicyServer& https, const std::string& zone_text,
          const std::vector<std::string>& trusted)
        : peer(p)
        , resolver(zone_text)
        , server(https) {
        std::string bundle;
        for (const auto& pem : trusted)
            bundle += qmtest::slurp(pem);
        qmtest::spit(cas / "trusted.pem", bundle, 0644);
        s.root.control("dnsservers", resolver.address() + "\n");
        s.root.control("smtproutes", "remote.example::" + std::to_string(p.port) + "\n");
        s.root.control("tlspolicy", "# DANE, else MTA-STS, else opportunistic\n:sts\n");
        s.root.control("mtastsport", std::to_string(https.port) + "\n");
        s.root.control("tlscafile", cas / "trusted.pem");
        s.start();
    }
    void send(const std::string& subject) {
        s.inject("alice@test.example", {"joe@remote.example"}, "Subject: " + subject + "\n\nx\n");
    }
    bool delivered(size_t n = 1) { return s.wait_log("success: ", n) && peer.queued().size() == n; }
    bool deferred(const std::string& why) {
        return s.wait_log("deferral: ") && s.log().find(why) != std::string::npos &&
               peer.queued().empty();
    }
    [[nodiscard]] std::string peer_cert() const { return peer.root / "control/servercert.pem"; }
};

} // namespace

TEST_CASE("mta-sts enforce - verified TLS to an MX the policy names - the policy cached",
          "[scenario][remote][tls][mta-sts]") {
    Peer peer("127.0.0.2", true);
    PolicyServer https(enforce_policy("mx.remote.example"));
    Setup t(peer, https, zone("20261206T1"), {https.pem(), peer.root / "control/servercert.pem"});
    t.send("first");
    REQUIRE(t.delivered());
    INFO(t.s.log());
    CHECK(t.s.log().find(underscored("certificate verified for mx.remote.example (MTA-STS policy "
                                     "20261206T1 of remote.example).")) != std::string::npos);
    CHECK(https.fetches() == 1);
    // The cache: queue/mtasts/remote.example, the policy as served after its id and time.
    const std::string cached = qmtest::slurp(t.s.root / "queue/mtasts/remote.example");
    CHECK(cached.starts_with("id: 20261206T1\nfetched: "));
    CHECK(cached.find(enforce_policy("mx.remote.example")) != std::string::npos);

    // The same id in DNS: the policy is not fetched again.
    t.send("second");
    REQUIRE(t.delivered(2));
    CHECK(https.fetches() == 1);
}

TEST_CASE("mta-sts enforce - an MX the policy does not name is not used",
          "[scenario][remote][tls][mta-sts]") {
    Peer peer("127.0.0.2", true);
    PolicyServer https(enforce_policy("*.elsewhere.example"));
    Setup t(peer, https, zone("1"), {https.pem(), peer.root / "control/servercert.pem"});
    t.send("wrong mx");
    INFO(t.s.log());
    CHECK(t.deferred(underscored("mx.remote.example is not among the MX hosts the MTA-STS policy "
                                 "1 of remote.example names. (#4.7.5)")));
}

TEST_CASE("mta-sts enforce - a certificate that does not verify defers the mail",
          "[scenario][remote][tls][mta-sts]") {
    Peer peer("127.0.0.2", true);
    PolicyServer https(enforce_policy("mx.remote.example"));
    Setup t(peer, https, zone("1"), {https.pem()}); // the MX's certificate is not trusted
    t.send("untrusted mx");
    INFO(t.s.log());
    CHECK(t.deferred(underscored("TLS is required for remote.example (MTA-STS policy 1 of "
                                 "remote.example) but 127.0.0.2 (mx.remote.example) presented a "
                                 "certificate that does not verify: self-signed certificate.")));
}

TEST_CASE("mta-sts enforce - a peer without STARTTLS is not used",
          "[scenario][remote][tls][mta-sts]") {
    Peer plain("127.0.0.2", false);
    PolicyServer https(enforce_policy("mx.remote.example"));
    Setup t(plain, https, zone("1"), {https.pem()});
    t.send("no starttls");
    INFO(t.s.log());
    CHECK(t.deferred(underscored("(MTA-STS policy 1 of remote.example) but 127.0.0.2 "
                                 "(mx.remote.example) does not offer STARTTLS.")));
}

TEST_CASE("mta-sts testing - failures are reported and the mail is delivered",
          "[scenario][remote][tls][mta-sts]") {
    Peer peer("127.0.0.2", true);
    SECTION("a certificate that would not verify") {
        PolicyServer https("version: STSv1\nmode: testing\nmx: mx.remote.example\nmax_age: 600\n");
        Setup t(peer, https, zone("t1"), {https.pem()});
        t.send("testing");
        REQUIRE(t.delivered());
        CHECK(t.s.log().find(underscored("certificate not verified: self-signed certificate "
                                         "(MTA-STS policy of remote.example, testing mode: "
                                         "delivered anyway).")) != std::string::npos);
    }
    SECTION("an MX the policy does not name") {
        PolicyServer https(
            "version: STSv1\nmode: testing\nmx: mail.remote.example\nmax_age: 600\n");
        Setup t(peer, https, zone("t2"), {https.pem(), peer.root / "control/servercert.pem"});
        t.send("testing");
        REQUIRE(t.delivered());
        CHECK(t.s.log().find(underscored("mx.remote.example is not among the MX hosts the MTA-STS "
                                         "policy t2 of remote.example names (testing mode: "
                                         "delivered anyway).")) != std::string::npos);
    }
}

TEST_CASE("mta-sts - a policy that cannot be had never stops mail - the report says why",
          "[scenario][remote][tls][mta-sts]") {
    Peer peer("127.0.0.2", true);
    const std::string policy = enforce_policy("nowhere.example");
    std::unique_ptr<PolicyServer> https;
    std::vector<std::string> trusted;
    std::string why;
    SECTION("the policy server's certificate is not trusted") {
        https = std::make_unique<PolicyServer>(policy);
        trusted = {peer.root / "control/servercert.pem"};
        why = "presented a certificate that does not verify: self-signed certificate";
    }
    SECTION("a redirect") {
        https = std::make_unique<PolicyServer>(
            policy, std::vector<std::string>{"--redirect", "https://elsewhere.example/p.txt"});
        trusted = {https->pem()};
        why = "redirected to https://elsewhere.example/p.txt; redirects are not followed";
    }
    SECTION("served as HTML") {
        https = std::make_unique<PolicyServer>(
            policy, std::vector<std::string>{"--content-type", "text/html"});
        trusted = {https->pem()};
        why = "served the policy as \"text/html\", not text/plain";
    }
    SECTION("a policy without mx") {
        https = std::make_unique<PolicyServer>("version: STSv1\nmode: enforce\nmax_age: 600\n");
        trusted = {https->pem()};
        why = "the policy of remote.example is malformed: no mx.";
    }
    Setup t(peer, *https, zone("x1"), trusted);
    t.send("no policy");
    REQUIRE(t.delivered());
    INFO(t.s.log());
    CHECK(t.s.log().find(underscored(why)) != std::string::npos);
    CHECK(t.s.log().find(underscored("Delivered as if it had none.")) != std::string::npos);
}

TEST_CASE("mta-sts - the cached policy outlives its TXT record and a restart, until max_age",
          "[scenario][remote][tls][mta-sts]") {
    Peer peer("127.0.0.2", true);
    std::unique_ptr<PolicyServer> https =
        std::make_unique<PolicyServer>(enforce_policy("mx.remote.example"));
    const std::string https_pem = https->pem();
    std::string kept_pem = qmtest::slurp(https_pem);
    Setup t(peer, *https, zone("c1"), {https_pem, peer.root / "control/servercert.pem"});
    t.send("cache me");
    REQUIRE(t.delivered());

    // qmail-send starts again; the TXT record is gone, the policy server too, and the MX's
    // certificate is no longer trusted: the policy from queue/mtasts still rules.
    t.s.send.reset();
    https.reset();
    Resolver without_txt(zone(""));
    t.s.root.control("dnsservers", without_txt.address() + "\n");
    qmtest::spit(t.cas / "trusted.pem", kept_pem, 0644);
    t.s.start();
    t.send("still enforced");
    INFO(t.s.log());
    REQUIRE(t.s.wait_log("deferral: "));
    CHECK(t.s.log().find(underscored("(MTA-STS policy c1 of remote.example) but 127.0.0.2 "
                                     "(mx.remote.example) presented a certificate that does not "
                                     "verify")) != std::string::npos);
    CHECK(peer.queued().size() == 1);
}

TEST_CASE("mta-sts - DANE comes first where the MX has validated TLSA records",
          "[scenario][remote][tls][mta-sts][dane]") {
    Peer peer("127.0.0.2", true);
    PolicyServer https(enforce_policy("nowhere.example")); // would refuse mx.remote.example
    auto spki =
        qmtest::run({"/bin/sh", "-c",
                     "openssl x509 -in '" + std::string(peer.root / "control/servercert.pem") +
                         "' -pubkey -noout | openssl pkey -pubin -outform DER | "
                         "sha256sum | cut -d' ' -f1"});
    REQUIRE(spki.exit_code == 0);
    Setup t(peer, https,
            zone("d1", "_" + std::to_string(peer.port) + "._tcp.mx.remote.example. IN TLSA 3 1 1 " +
                           spki.out.substr(0, 64) + "\n"),
            {https.pem()});
    t.send("dane");
    REQUIRE(t.delivered());
    INFO(t.s.log());
    CHECK(t.s.log().find(underscored("certificate verified by DANE (TLSA usage 3) for "
                                     "mx.remote.example.")) != std::string::npos);
}

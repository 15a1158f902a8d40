// control/tlspolicy end to end: the real qmail-send delivering to our qmail-smtpd daemon
// with a certificate, the MX and TLSA records served by a stand-in for a validating
// resolver (tests/support/validating_resolver.py: a zone file, the AD bit on answers from
// "signed" names), so that DANE, verify, encrypt and none each meet a matching and a
// non-matching peer. A policy that cannot be met defers the mail and never sends it in the
// clear.
#include "sender.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

using remotetest::Peer;
using remotetest::Resolver;
using remotetest::Sender;

// "3 1 1 <SHA-256 of the certificate's public key>", the DANE-EE record of a certificate.
std::string dane_ee_record(const std::string& pem_path) {
    auto r = qmtest::run({"/bin/sh", "-c",
                          "openssl x509 -in '" + pem_path +
                              "' -pubkey -noout | openssl pkey -pubin -outform DER | "
                              "sha256sum | cut -d' ' -f1"});
    REQUIRE(r.exit_code == 0);
    std::string hex = r.out.substr(0, 64);
    REQUIRE(hex.size() == 64);
    return "3 1 1 " + hex;
}

// A sender routed by MX (through the resolver) to the peer's port, with a policy.
struct Setup {
    Peer& peer;
    Resolver resolver;
    Sender s;

    Setup(Peer& p, const std::string& tlsa_rdata, const std::string& policy,
          const std::vector<std::string>& resolver_options = {})
        : peer(p)
        , resolver("remote.example. IN MX 10 mx.remote.example.\n"
                   "mx.remote.example. IN A " +
                       p.ip + "\n" +
                       (tlsa_rdata.empty()
                            ? std::string()
                            : "_" + std::to_string(p.port) + "._tcp.mx.remote.example. IN TLSA " +
                                  tlsa_rdata + "\n"),
                   resolver_options) {
        s.root.control("dnsservers", resolver.address() + "\n");
        s.root.control("smtproutes", "remote.example::" + std::to_string(p.port) + "\n");
        s.root.control("tlspolicy", policy);
        s.start();
        s.inject("alice@test.example", {"joe@remote.example"}, "Subject: tls policy\n\nsecret\n");
    }
    bool delivered() { return s.wait_log("success: ") && peer.queued().size() == 1; }
    bool deferred(const std::string& why) {
        return s.wait_log("deferral: ") && s.log().find(why) != std::string::npos &&
               peer.queued().empty();
    }
};

std::string underscored(std::string s) {
    for (auto& c : s)
        if (c == ' ')
            c = '_';
    return s;
}

} // namespace

TEST_CASE("tlspolicy dane - a matching DNSSEC-validated TLSA record authenticates the MX",
          "[scenario][remote][tls][dane]") {
    Peer peer("127.0.0.2", true);
    Setup t(peer, dane_ee_record(peer.root / "control/servercert.pem"), "remote.example:dane\n");
    REQUIRE(t.delivered());
    INFO(t.s.log());
    CHECK(t.s.log().find(underscored("certificate verified by DANE (TLSA usage 3) for "
                                     "mx.remote.example.")) != std::string::npos);
    const std::string queries = t.resolver.daemon->log();
    CHECK(queries.find("query MX remote.example.") != std::string::npos);
    CHECK(queries.find("query TLSA _" + std::to_string(peer.port) + "._tcp.mx.remote.example.") !=
          std::string::npos);
}

TEST_CASE("tlspolicy dane - a TLSA record the certificate does not match defers the mail",
          "[scenario][remote][tls][dane]") {
    Peer peer("127.0.0.2", true);
    Setup t(peer, "3 1 1 " + std::string(64, 'a'), "remote.example:dane\n");
    INFO(t.s.log());
    CHECK(t.deferred(underscored("(dane) but 127.0.0.2 (mx.remote.example) presented a "
                                 "certificate that does not verify")));
    CHECK(t.s.log().find("(#4.7.5)") != std::string::npos);
}

TEST_CASE("tlspolicy dane - without DNSSEC the TLSA record is not believed and TLS stays "
          "opportunistic - dane-only defers",
          "[scenario][remote][tls][dane]") {
    Peer peer("127.0.0.2", true);
    SECTION("dane") {
        Setup t(peer, "3 1 1 " + std::string(64, 'a'), "remote.example:dane\n",
                {"--insecure", "remote.example"});
        REQUIRE(t.delivered());
        CHECK(t.s.log().find("certificate_not_verified.") != std::string::npos);
        // No validated MX answer: the TLSA records were not even asked for.
        CHECK(t.resolver.daemon->log().find("query TLSA") == std::string::npos);
    }
    SECTION("dane-only") {
        Setup t(peer, dane_ee_record(peer.root / "control/servercert.pem"),
                "remote.example:dane-only\n", {"--insecure", "remote.example"});
        INFO(t.s.log());
        CHECK(t.deferred(underscored("DANE is required for remote.example but its MX records are "
                                     "not DNSSEC-validated.")));
    }
    SECTION("dane-only without TLSA records") {
        Setup t(peer, "", "remote.example:dane-only\n");
        INFO(t.s.log());
        CHECK(t.deferred(underscored("has no DNSSEC-validated TLSA records")));
    }
}

TEST_CASE("tlspolicy dane - a TLSA lookup that fails skips the host instead of sending in the "
          "clear",
          "[scenario][remote][tls][dane]") {
    Peer peer("127.0.0.2", true);
    Setup t(peer, "", "remote.example:dane\n", {"--servfail", "_tcp.mx.remote.example"});
    INFO(t.s.log());
    CHECK(t.deferred(underscored("._tcp.mx.remote.example failed; the host is skipped.")));
}

TEST_CASE("tlspolicy encrypt and verify - TLS required - the certificate checked against "
          "control/tlscafile",
          "[scenario][remote][tls]") {
    SECTION("encrypt to a peer without STARTTLS") {
        Peer plain("127.0.0.2", false);
        Setup t(plain, "", "remote.example:encrypt\n");
        INFO(t.s.log());
        CHECK(t.deferred(underscored("(encrypt) but 127.0.0.2 (mx.remote.example) does not "
                                     "offer STARTTLS.")));
    }
    SECTION("verify against the system's CAs, which do not know the peer's certificate") {
        Peer peer("127.0.0.2", true);
        Setup t(peer, "", "remote.example:verify\n");
        INFO(t.s.log());
        CHECK(t.deferred(underscored("(verify) but 127.0.0.2 (mx.remote.example) presented a "
                                     "certificate that does not verify: self-signed "
                                     "certificate.")));
    }
    SECTION("verify with control/tlscafile") {
        Peer peer("127.0.0.2", true);
        Resolver resolver("remote.example. IN MX 10 mx.remote.example.\n"
                          "mx.remote.example. IN A 127.0.0.2\n");
        Sender s;
        s.root.control("dnsservers", resolver.address() + "\n");
        s.root.control("smtproutes", "remote.example::" + std::to_string(peer.port) + "\n");
        s.root.control("tlspolicy", "remote.example:verify\n");
        s.root.control("tlscafile", peer.root / "control/servercert.pem");
        s.start();
        s.inject("alice@test.example", {"joe@remote.example"}, "Subject: verify\n\nx\n");
        REQUIRE(s.wait_log("success: "));
        CHECK(s.log().find("certificate_verified_for_mx.remote.example.") != std::string::npos);
    }
}

TEST_CASE("tlspolicy none - no STARTTLS although offered - and a default for every domain",
          "[scenario][remote][tls]") {
    Peer peer("127.0.0.2", true);
    Setup t(peer, "", "# no TLS to anyone\n:none\n");
    REQUIRE(t.delivered());
    CHECK(t.s.log().find("TLS:") == std::string::npos);
    CHECK(peer.message(peer.queued().front()).find(" with ESMTP; ") != std::string::npos);
}

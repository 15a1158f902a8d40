// The checks of inbound mail (control/authcheck): SPF through libspf2, DMARC through
// libopendmarc and DKIM through OpenDKIM, every question answered by dnsmasq on a
// loopback port through control/dnsservers; then the real qmail-smtpd writing the
// Authentication-Results field of each case into the queued message, and the ARC chain
// (authcheck arc) of a message a forwarder sealed.
#include "dns_server.hpp"
#include "qm/dkim/arc.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/dkim/sign.hpp"
#include "qm/mailauth/dmarc.hpp"
#include "qm/mailauth/spf.hpp"
#include "support.hpp"

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <optional>
#include <set>

namespace {

using qm::mailauth::SpfResult;

std::string spf_name(const qm::mailauth::SpfCheck& c) {
    return std::string(qm::mailauth::spf_result_name(c.result));
}

qm::mailauth::SpfQuestion from(const std::string& sender,
                               const std::string& helo = "client.example") {
    return {boost::asio::ip::make_address("192.0.2.7"), helo, sender, "mx.test.example"};
}

// A TXT record option for dnsmasq: strings of at most 250 bytes.
std::string txt(const std::string& name, const std::string& text) {
    std::string option = "--txt-record=" + name;
    for (size_t i = 0; i < text.size(); i += 250)
        option += "," + text.substr(i, 250);
    return option;
}

} // namespace

TEST_CASE("SPF through c-ares - pass fail softfail neutral none permerror and temperror",
          "[scenario][mailauth]") {
    qmtest::DnsServer dns(
        {txt("pass.example", "v=spf1 ip4:192.0.2.0/24 -all"),
         txt("fail.example", "v=spf1 ip4:198.51.100.1 -all"), txt("soft.example", "v=spf1 ~all"),
         txt("neutral.example", "v=spf1 ?all"),
         txt("incl.example", "v=spf1 include:pass.example -all"),
         txt("mx.example", "v=spf1 mx -all"), "--mx-host=mx.example,mail.mx.example,10",
         "--host-record=mail.mx.example,192.0.2.7", txt("helo.example", "v=spf1 a -all"),
         "--host-record=helo.example,192.0.2.7",
         txt("broken.example", "v=spf1 bogus:x.example -all"),
         txt("split.example", "v=spf1 ip4:192.0.2.7" + std::string(300, ' ') + "-all")});
    const qm::dns::Config config{dns.address(), 2000, 1};
    using qm::mailauth::check_helo;
    using qm::mailauth::check_mail_from;
    CHECK(spf_name(check_mail_from(from("ann@pass.example"), config)) == "pass");
    CHECK(spf_name(check_mail_from(from("ann@fail.example"), config)) == "fail");
    CHECK(spf_name(check_mail_from(from("ann@soft.example"), config)) == "softfail");
    CHECK(spf_name(check_mail_from(from("ann@neutral.example"), config)) == "neutral");
    CHECK(spf_name(check_mail_from(from("ann@incl.example"), config)) == "pass");
    CHECK(spf_name(check_mail_from(from("ann@mx.example"), config)) == "pass");
    CHECK(spf_name(check_mail_from(from("ann@broken.example"), config)) == "permerror");
    CHECK(spf_name(check_mail_from(from("ann@nothing.example"), config)) == "none");
    // A record longer than one string: its strings are joined (RFC 7208 3.3).
    CHECK(spf_name(check_mail_from(from("ann@split.example"), config)) == "pass");
    // The null sender: postmaster at the HELO name.
    const auto bounce = check_mail_from(from("", "helo.example"), config);
    CHECK(spf_name(bounce) == "pass");
    CHECK(bounce.identity == "postmaster@helo.example");
    CHECK(spf_name(check_helo(from("ann@x.example", "helo.example"), config)) == "pass");
    CHECK(spf_name(check_helo(from("ann@x.example", "fail.example"), config)) == "fail");
    CHECK(spf_name(check_helo(from("ann@x.example", "[192.0.2.7]"), config)) == "none");
    CHECK(dns.daemon->log().find("query[TXT] incl.example") != std::string::npos);

    const qm::dns::Config silent{"127.0.0.1:" + std::to_string(qmtest::free_port()), 300, 1};
    CHECK(spf_name(check_mail_from(from("ann@pass.example"), silent)) == "temperror");
}

TEST_CASE("DMARC through libopendmarc - aligned DKIM or SPF passes and the policy comes from "
          "the organizational domain for a subdomain",
          "[scenario][mailauth]") {
    qmtest::DnsServer dns({txt("_dmarc.strict.example", "v=DMARC1; p=reject"),
                           txt("_dmarc.parent.example", "v=DMARC1; p=reject; sp=quarantine"),
                           txt("_dmarc.exact.example", "v=DMARC1; p=reject; adkim=s"),
                           txt("_dmarc.two.example", "v=DMARC1; p=reject"),
                           txt("_dmarc.two.example", "v=DMARC1; p=none"),
                           txt("_dmarc.junk.example", "v=DMARC1; p=whatever")});
    const qm::dns::Config config{dns.address(), 2000, 1};
    using qm::dkim::SignatureCheck;
    using qm::dkim::Verdict;
    using qm::mailauth::DmarcQuestion;
    const qm::mailauth::SpfCheck no_spf{SpfResult::none, "x@elsewhere.example", "elsewhere.example",
                                        ""};
    auto run = [&](DmarcQuestion q) {
        q.client_ip = "192.0.2.7";
        return qm::mailauth::check_dmarc(q, config);
    };
    auto name = [](const qm::mailauth::DmarcCheck& c) {
        return std::string(qm::mailauth::dmarc_result_name(c.result)) + "/" +
               std::string(qm::mailauth::dmarc_policy_name(c.policy));
    };

    const SignatureCheck strict_pass{Verdict::pass, "strict.example", "v1", ""};
    CHECK(name(run({"", {"strict.example"}, no_spf, {strict_pass}})) == "pass/reject");
    // A pass for another domain does not align.
    const SignatureCheck other_pass{Verdict::pass, "other.example", "v1", ""};
    const auto unaligned = run({"", {"strict.example"}, no_spf, {other_pass}});
    CHECK(name(unaligned) == "fail/reject");
    CHECK(unaligned.from_domain == "strict.example");
    // A failed signature of the right domain does not count either.
    CHECK(name(run(
              {"", {"strict.example"}, no_spf, {{Verdict::fail, "strict.example", "v1", ""}}})) ==
          "fail/reject");
    // Relaxed SPF alignment: a subdomain of the From domain passes.
    const qm::mailauth::SpfCheck sub_spf{SpfResult::pass, "b@mail.strict.example",
                                         "mail.strict.example", ""};
    CHECK(name(run({"", {"strict.example"}, sub_spf, {}})) == "pass/reject");
    // adkim=s: a signature of a subdomain is not aligned.
    CHECK(
        name(run(
            {"", {"exact.example"}, no_spf, {{Verdict::pass, "mail.exact.example", "v1", ""}}})) ==
        "fail/reject");
    // No record at sub.parent.example: the organizational domain's, with its sp=.
    CHECK(name(run({"", {"sub.parent.example"}, no_spf, {}})) == "fail/quarantine");
    CHECK(dns.daemon->log().find("query[TXT] _dmarc.sub.parent.example") != std::string::npos);
    CHECK(dns.daemon->log().find("query[TXT] _dmarc.parent.example") != std::string::npos);
    CHECK(name(run({"", {"nopolicy.example"}, no_spf, {}})) == "none/none");
    // Two DMARC records at one name are no policy (RFC 7489 6.6.3).
    CHECK(name(run({"", {"two.example"}, no_spf, {}})) == "none/none");
    CHECK(name(run({"", {"junk.example"}, no_spf, {}})) == "permerror/none");
    CHECK(name(run({"", {"strict.example", "other.example"}, no_spf, {strict_pass}})) ==
          "permerror/none");
    CHECK(name(run({"", {}, no_spf, {}})) == "none/none");
    const qm::dns::Config silent{"127.0.0.1:" + std::to_string(qmtest::free_port()), 300, 1};
    CHECK(
        qm::mailauth::check_dmarc({"192.0.2.7", {"strict.example"}, no_spf, {strict_pass}}, silent)
            .result == qm::mailauth::DmarcResult::temperror);
}

namespace {

// qmail-smtpd on stdin/stdout as tcpserver runs it, for a client at 192.0.2.7, with
// control/authcheck and DNS from dnsmasq.
struct CheckingSmtpd {
    qmtest::MailRoot root;
    qmtest::DnsServer dns;
    qm::dkim::SigningKey key;

    static std::vector<std::string> records(const std::string& dkim_txt) {
        return {txt("v1._domainkey.sign.example", dkim_txt),
                txt("sign.example", "v=spf1 ip4:192.0.2.7 -all"),
                txt("_dmarc.sign.example", "v=DMARC1; p=reject"),
                txt("other.example", "v=spf1 -all")};
    }

    explicit CheckingSmtpd(const qm::dkim::KeyPair& pair)
        : dns(records(pair.txt)) {
        root.control("rcpthosts", "test.example\n");
        root.control("authcheck", "spf\ndkim\ndmarc-reject\n");
        root.control("authservid", "mx.test.example");
        root.control("dnsservers", dns.address() + "\n");
        qmtest::spit(root.home() + "/v1.key", pair.private_pem, 0600);
        auto k = qm::dkim::load_signing_key("sign.example", "v1", root.home() + "/v1.key");
        REQUIRE(k);
        key = *k;
    }

    std::string signed_message(const std::string& message) const {
        auto sig = qm::dkim::signature(message, key);
        REQUIRE(sig);
        return *sig + message;
    }

    // One transaction; returns the reply to the end of DATA.
    std::string send(const std::string& sender, const std::string& message,
                     const std::map<std::string, std::string>& extra = {}) {
        std::string data;
        for (size_t pos = 0; pos < message.size();) {
            size_t nl = message.find('\n', pos);
            std::string line = message.substr(pos, nl - pos);
            data += (line.starts_with(".") ? "." : "") + line + "\r\n";
            pos = nl == std::string::npos ? message.size() : nl + 1;
        }
        auto e = root.env();
        e["TCPREMOTEIP"] = "192.0.2.7";
        e["TCPREMOTEHOST"] = "client.example";
        e["TCPLOCALIP"] = "192.0.2.1";
        e["TCPLOCALHOST"] = "mx.test.example";
        for (const auto& [k, v] : extra)
            e[k] = v;
        auto r = root.run({qmtest::bin("qmail-smtpd")},
                          {.stdin_data = "EHLO client.example\r\nMAIL FROM:<" + sender +
                                         ">\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n" + data +
                                         ".\r\nQUIT\r\n",
                           .env = e,
                           .unset_env = {"RELAYCLIENT"}});
        INFO(r.out << r.err);
        remember_new();
        const auto go = r.out.find("354 go ahead\r\n");
        REQUIRE(go != std::string::npos);
        const auto end = r.out.find("\r\n", go + 14);
        return r.out.substr(go + 14, end - go - 14);
    }

    // The message the last send() queued (the queue's order is its inode numbers', not
    // time's), our Received line and qmail-queue's cut off.
    std::string last_queued() const {
        REQUIRE(newest);
        std::string m = *newest;
        for (int i = 0; i < 2; ++i) {
            REQUIRE(m.starts_with("Received: "));
            size_t end = m.find('\n');
            while (end + 1 < m.size() && (m[end + 1] == ' ' || m[end + 1] == '\t'))
                end = m.find('\n', end + 1);
            m.erase(0, end + 1);
        }
        return m;
    }

    std::optional<std::string> newest;
    std::multiset<std::string> seen;

    void remember_new() {
        newest.reset();
        for (auto& q : qmtest::queued_messages(root.home())) {
            if (auto it = seen.find(q.message); it != seen.end()) {
                seen.erase(it);
                continue;
            }
            newest = q.message;
        }
        seen.clear();
        for (auto& q : qmtest::queued_messages(root.home()))
            seen.insert(q.message);
    }
};

const std::string post = "From: Ann <ann@sign.example>\nTo: joe@test.example\nSubject: checks\n"
                         "Date: Sun, 06 Dec 2026 19:00:00 +0000\nMessage-ID: <c1@sign.example>\n\n"
                         "hello\n";

} // namespace

TEST_CASE("qmail-smtpd with control/authcheck writes Authentication-Results - a signed and "
          "aligned message passes everything",
          "[scenario][mailauth][smtp]") {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(pair);
    CheckingSmtpd s(*pair);
    const std::string message = s.signed_message(post);
    CHECK(s.send("ann@sign.example", message).starts_with("250 2.0.0 ok"));
    const std::string got = s.last_queued();
    INFO(got);
    CHECK(got.starts_with(
        "Authentication-Results: mx.test.example;\n"
        "\tspf=pass (mx.test.example: domain of sign.example designates 192.0.2.7 as "
        "permitted sender) smtp.mailfrom=ann@sign.example;\n"
        "\tspf=none (mx.test.example: domain of client.example does not provide an SPF record) "
        "smtp.helo=client.example;\n"
        "\tdkim=pass header.d=sign.example header.s=v1;\n"
        "\tdmarc=pass (p=reject) header.from=sign.example\n"
        "DKIM-Signature: "));
    // The message itself is untouched below the field.
    CHECK(got.ends_with(message));
}

TEST_CASE("qmail-smtpd with control/authcheck - a changed body fails DKIM and DMARC under "
          "p=reject refuses it unless the client may relay",
          "[scenario][mailauth][smtp]") {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::ed25519_sha256);
    REQUIRE(pair);
    CheckingSmtpd s(*pair);
    std::string changed = s.signed_message(post);
    changed.replace(changed.find("hello"), 5, "howdy");

    // SPF passes for sign.example: DMARC passes through it although the signature broke.
    CHECK(s.send("ann@sign.example", changed).starts_with("250 "));
    std::string got = s.last_queued();
    CHECK(got.find("\tdkim=fail (") != std::string::npos);
    CHECK(got.find("header.d=sign.example header.s=v1;\n") != std::string::npos);
    CHECK(got.find("\tdmarc=pass (p=reject) header.from=sign.example\n") != std::string::npos);

    // From another envelope domain whose SPF fails: nothing aligned passes.
    const auto before = qmtest::queued_messages(s.root.home()).size();
    CHECK(s.send("bob@other.example", changed) ==
          "554 5.7.1 Sorry, the DMARC policy of sign.example rejects this message: no SPF or "
          "DKIM pass aligned with its From domain.");
    CHECK(qmtest::queued_messages(s.root.home()).size() == before);

    // The same message from a client allowed to relay is our user's: not checked.
    CHECK(s.send("bob@other.example", changed, {{"RELAYCLIENT", ""}}).starts_with("250 "));
    got = s.last_queued();
    CHECK(got.find("Authentication-Results:") == std::string::npos);
    CHECK(got.ends_with(changed));

    // Without dmarc-reject the failure is only reported.
    s.root.control("authcheck", "dmarc\n");
    CHECK(s.send("bob@other.example", changed).starts_with("250 "));
    got = s.last_queued();
    CHECK(got.find("\tspf=fail (") != std::string::npos);
    CHECK(got.find("\tdmarc=fail (p=reject, neither SPF nor DKIM aligned with the From domain) "
                   "header.from=sign.example\n") != std::string::npos);
}

TEST_CASE("qmail-smtpd with control/authcheck removes Authentication-Results forged with our "
          "authserv-id and keeps others",
          "[scenario][mailauth][smtp]") {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(pair);
    CheckingSmtpd s(*pair);
    const std::string message = "Authentication-Results: MX.test.example; dkim=pass\n"
                                "Authentication-Results: relay.other.example; spf=pass\n"
                                "Authentication-Results: (forged)\n mx.test.example; dmarc=pass\n" +
                                post;
    CHECK(s.send("ann@sign.example", message).starts_with("250 "));
    std::string got = s.last_queued();
    INFO(got);
    CHECK(got.find("MX.test.example; dkim=pass") == std::string::npos);
    CHECK(got.find("(forged)") == std::string::npos);
    CHECK(got.find("\nAuthentication-Results: relay.other.example; spf=pass\n" + post) !=
          std::string::npos);
    // dkim=none: the message carries no signature.
    CHECK(got.find("\tdkim=none;\n") != std::string::npos);

    // Relayed mail is not checked, but a forged field still does not pass.
    CHECK(s.send("ann@sign.example", message, {{"RELAYCLIENT", ""}}).starts_with("250 "));
    got = s.last_queued();
    CHECK(got == "Authentication-Results: relay.other.example; spf=pass\n" + post);
}

TEST_CASE("qmail-smtpd with control/authcheck holds a large message in a file and passes it "
          "on unchanged",
          "[scenario][mailauth][smtp]") {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(pair);
    CheckingSmtpd s(*pair);
    std::string big = post;
    for (int i = 0; i < 40000; ++i)
        big += "line " + std::to_string(i) + " of a message larger than the memory spool\n";
    REQUIRE(big.size() > 2 * 1024 * 1024);
    const std::string message = s.signed_message(big);
    CHECK(s.send("ann@sign.example", message).starts_with("250 "));
    const std::string got = s.last_queued();
    CHECK(got.find("\tdkim=pass header.d=sign.example") != std::string::npos);
    CHECK(got.ends_with(message));
    CHECK(got.size() == message.size() + got.find("DKIM-Signature: "));
}

TEST_CASE("qmail-smtpd without control/authcheck checks nothing - and a broken one is named "
          "with its line",
          "[scenario][mailauth][smtp]") {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(pair);
    CheckingSmtpd s(*pair);
    s.root.control("authcheck", "# all off\n");
    CHECK(s.send("ann@sign.example", post).starts_with("250 "));
    CHECK(s.last_queued() == post);
    CHECK(s.dns.daemon->log().find("sign.example") == std::string::npos);

    s.root.control("authcheck", "spf\ndkim-verify\n");
    auto e = s.root.env();
    auto r = s.root.run({qmtest::bin("qmail-smtpd")},
                        {.stdin_data = "QUIT\r\n", .env = e, .unset_env = {"RELAYCLIENT"}});
    CHECK(r.out.starts_with("421 "));
    CHECK(r.err.find("control/authcheck:2: unknown check \"dkim-verify\"") != std::string::npos);
}

TEST_CASE("qmail-smtpd with control/authcheck - a message signed by OpenDKIM's own "
          "opendkim-testmsg passes and fails once changed",
          "[scenario][mailauth][smtp]") {
    if (!std::filesystem::exists("/usr/sbin/opendkim-testmsg"))
        return qmtest::skip(
            "opendkim-testmsg is not installed (script/bootstrap installs opendkim-tools)");
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(pair);
    CheckingSmtpd s(*pair);
    auto r = qmtest::run({"/usr/sbin/opendkim-testmsg", "-d", "sign.example", "-s", "v1", "-k",
                          s.root.home() + "/v1.key"},
                         {.stdin_data = post});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string signed_by_opendkim = r.out;
    REQUIRE(signed_by_opendkim.starts_with("DKIM-Signature: "));
    CHECK(s.send("bob@other.example", signed_by_opendkim).starts_with("250 "));
    std::string got = s.last_queued();
    INFO(got);
    CHECK(got.find("\tdkim=pass header.d=sign.example header.s=v1;\n") != std::string::npos);
    CHECK(got.find("\tdmarc=pass (p=reject) header.from=sign.example\n") != std::string::npos);

    std::string changed = signed_by_opendkim;
    changed.replace(changed.find("Subject: checks"), 15, "Subject: CHECKS");
    s.root.control("authcheck", "dkim\n");
    CHECK(s.send("bob@other.example", changed).starts_with("250 "));
    got = s.last_queued();
    CHECK(got.find("\tdkim=fail (") != std::string::npos);
}

TEST_CASE("the qmail-smtpd daemon checks concurrent sessions on its worker threads - each "
          "message gets its own results",
          "[scenario][mailauth][smtp][daemon]") {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(pair);
    qmtest::DnsServer dns({txt("v1._domainkey.sign.example", pair->txt),
                           txt("sign.example", "v=spf1 ip4:127.0.0.1 -all"),
                           txt("_dmarc.sign.example", "v=DMARC1; p=reject")});
    qmtest::MailRoot root;
    root.control("rcpthosts", "test.example\n");
    root.control("authcheck", "dkim\ndmarc\n");
    root.control("authservid", "mx.test.example");
    root.control("dnsservers", dns.address() + "\n");
    qmtest::spit(root.home() + "/v1.key", pair->private_pem, 0600);
    auto key = qm::dkim::load_signing_key("sign.example", "v1", root.home() + "/v1.key");
    REQUIRE(key);
    const int port = qmtest::free_port();
    auto smtpd = root.start(
        {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(port)}, "smtpd.log");
    REQUIRE(qmtest::wait_for(
        [&] { return smtpd->log().find("status: listening") != std::string::npos; }));

    // Even sessions send their message as signed, odd ones with the body changed; the
    // envelope sender's domain has no SPF record, so DKIM alone decides DMARC.
    constexpr int sessions = 16;
    std::vector<std::unique_ptr<qmtest::LoopbackClient>> clients;
    for (int i = 0; i < sessions; ++i) {
        std::string message = "From: ann@sign.example\nTo: joe@test.example\nSubject: n" +
                              std::to_string(i) +
                              "\nDate: Sun, 06 Dec 2026 19:00:00 +0000\n\nbody\n";
        auto sig = qm::dkim::signature(message, *key);
        REQUIRE(sig);
        message = *sig + message;
        if (i % 2 == 1)
            message.replace(message.rfind("body"), 4, "BODY");
        std::string data;
        for (size_t pos = 0; pos < message.size();) {
            const size_t nl = message.find('\n', pos);
            data += message.substr(pos, nl - pos) + "\r\n";
            pos = nl + 1;
        }
        clients.push_back(std::make_unique<qmtest::LoopbackClient>(port));
        REQUIRE(clients.back()->connected());
        clients.back()->send("EHLO c.example\r\nMAIL FROM:<x@nospf.example>\r\nRCPT "
                             "TO:<joe@test.example>\r\nDATA\r\n" +
                             data + ".\r\nQUIT\r\n");
    }
    for (auto& c : clients)
        CHECK(c->read_until([](const std::string& got) {
                   return got.find("221 ") != std::string::npos;
               }).find("\r\n250 2.0.0 ok ") != std::string::npos);
    const auto queued = qmtest::queued_messages(root.home());
    REQUIRE(queued.size() == sessions);
    int passed = 0;
    int failed = 0;
    for (const auto& q : queued) {
        INFO(q.message);
        const bool changed = q.message.find("\nBODY\n") != std::string::npos;
        if (changed) {
            CHECK(q.message.find("\tdkim=fail (") != std::string::npos);
            CHECK(q.message.find("\tdmarc=fail (p=reject") != std::string::npos);
            ++failed;
        } else {
            CHECK(q.message.find("\tdkim=pass header.d=sign.example header.s=v1;\n") !=
                  std::string::npos);
            CHECK(q.message.find("\tdmarc=pass (p=reject) header.from=sign.example\n") !=
                  std::string::npos);
            ++passed;
        }
    }
    CHECK(passed == sessions / 2);
    CHECK(failed == sessions / 2);
    CHECK(WEXITSTATUS(smtpd->stop(SIGTERM)) == 0);
}

TEST_CASE("qmail-smtpd with control/authcheck arc - a sealed message's chain passes through "
          "DNS, a changed one fails, none is none",
          "[scenario][mailauth][smtp][arc]") {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(pair);
    CheckingSmtpd s(*pair);
    s.root.control("authcheck", "arc\n");
    // A forwarder at sign.example sealed the post (its key is in dnsmasq).
    const std::string arrived = "Authentication-Results: mx.sign.example; spf=pass\n" + post;
    auto set = qm::dkim::arc_seal(arrived, s.key, "mx.sign.example",
                                  qm::dkim::dns_lookup({s.dns.address(), 2000, 1}));
    REQUIRE(set);
    REQUIRE(set->starts_with("ARC-Seal: i=1;"));
    const std::string sealed = *set + arrived;
    CHECK(s.send("bob@other.example", sealed).starts_with("250 "));
    CHECK(s.last_queued() == "Authentication-Results: mx.test.example;\n\tarc=pass\n" + sealed);
    CHECK(s.dns.daemon->log().find("query[TXT] v1._domainkey.sign.example") != std::string::npos);

    std::string changed = sealed;
    changed.replace(changed.find("hello"), 5, "howdy");
    CHECK(s.send("bob@other.example", changed).starts_with("250 "));
    CHECK(s.last_queued().starts_with("Authentication-Results: mx.test.example;\n"
                                      "\tarc=fail (i=1: the body hash did not verify)\n"));
    CHECK(s.send("bob@other.example", post).starts_with("250 "));
    CHECK(s.last_queued() == "Authentication-Results: mx.test.example;\n\tarc=none\n" + post);
}

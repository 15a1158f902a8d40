// DMARC mitigation end to end: dnsmasq on a loopback port serves the _dmarc TXT records,
// the list's ezmlm-send asks it through control/dnsservers, and the readers' maildirs show
// the From of a p=reject poster rewritten and a p=none poster's left alone.
#include "dns_server.hpp"
#include "list_mta.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using liststest::has_line;

TEST_CASE("a p=reject poster's From becomes the list's, a p=none poster's stays",
          "[scenario][lists][dmarc]") {
    qmtest::DnsServer dns({"--txt-record=_dmarc.strict.example,v=DMARC1; p=reject",
                           "--txt-record=_dmarc.relaxed.example,v=DMARC1; p=none",
                           "--txt-record=_dmarc.parent.example,v=DMARC1; p=none; sp=quarantine"});
    liststest::ListMta m;
    m.make();
    m.root.control("dnsservers", dns.address() + "\n");
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "alice@test.example"}).exit_code == 0);
    m.start();

    m.inject("From: \"Rita R.\" <rita@strict.example>\nTo: joe-team@test.example\n"
             "Subject: strict\n\nfrom a p=reject domain\n");
    REQUIRE(m.wait_messages("alice", 1));
    m.inject("From: Nora <nora@relaxed.example>\nTo: joe-team@test.example\n"
             "Subject: relaxed\n\nfrom a p=none domain\n");
    REQUIRE(m.wait_messages("alice", 2));
    // A subdomain without its own record: the organizational domain's sp=quarantine.
    m.inject("From: Sam <sam@mail.parent.example>\nTo: joe-team@test.example\n"
             "Reply-To: sam-replies@parent.example\nSubject: sub\n\nfrom a subdomain\n");
    REQUIRE(m.wait_messages("alice", 3));

    std::string strict, relaxed, sub;
    for (const auto& msg : m.messages("alice")) {
        if (msg.find("from a p=reject domain") != std::string::npos)
            strict = msg;
        else if (msg.find("from a p=none domain") != std::string::npos)
            relaxed = msg;
        else
            sub = msg;
    }
    INFO(strict);
    CHECK(has_line(strict, "From: \"Rita R. via joe-team\" <joe-team@test.example>"));
    CHECK(has_line(strict, "Reply-To: \"Rita R.\" <rita@strict.example>"));
    INFO(relaxed);
    CHECK(has_line(relaxed, "From: Nora <nora@relaxed.example>"));
    CHECK(relaxed.find("Reply-To:") == std::string::npos);
    INFO(sub);
    CHECK(has_line(sub, "From: \"Sam via joe-team\" <joe-team@test.example>"));
    CHECK(has_line(sub, "Reply-To: sam-replies@parent.example"));
    CHECK(has_line(sub, "Cc: Sam <sam@mail.parent.example>"));

    // Each domain was asked once and is in the list's cache.
    const std::string queries = dns.daemon->log();
    CHECK(queries.find("query[TXT] _dmarc.strict.example") != std::string::npos);
    CHECK(queries.find("query[TXT] _dmarc.mail.parent.example") != std::string::npos);
    CHECK(queries.find("query[TXT] _dmarc.parent.example") != std::string::npos);
    const std::string cache = qmtest::slurp(m.dir + "/dmarccache");
    CHECK(cache.find("strict.example reject ") != std::string::npos);
    CHECK(cache.find("relaxed.example none ") != std::string::npos);
    CHECK(cache.find("mail.parent.example quarantine ") != std::string::npos);

    // A second post from the same domain comes from the cache, not from DNS.
    m.inject("From: rita@strict.example\nTo: joe-team@test.example\nSubject: again\n\nagain\n");
    REQUIRE(m.wait_messages("alice", 4));
    const std::string after = dns.daemon->log();
    size_t asked = 0;
    for (size_t p = after.find("query[TXT] _dmarc.strict.example"); p != std::string::npos;
         p = after.find("query[TXT] _dmarc.strict.example", p + 1))
        ++asked;
    CHECK(asked == 1);
}

TEST_CASE("an unreachable DNS server does not hold the post: it goes out rewritten",
          "[scenario][lists][dmarc]") {
    liststest::ListMta m;
    m.make();
    m.root.control("dnsservers", "127.0.0.1:" + std::to_string(qmtest::free_port()) + "\n");
    REQUIRE(m.root.run({qmtest::bin("ezmlm-sub"), m.dir, "alice@test.example"}).exit_code == 0);
    m.start();
    m.inject("From: Nora <nora@relaxed.example>\nTo: joe-team@test.example\n"
             "Subject: no dns\n\nx\n");
    REQUIRE(m.wait_messages("alice", 1));
    auto msg = m.messages("alice")[0];
    INFO(msg);
    CHECK(has_line(msg, "From: \"Nora via joe-team\" <joe-team@test.example>"));
    CHECK(has_line(msg, "Reply-To: Nora <nora@relaxed.example>"));
    CHECK(qmtest::slurp(m.dir + "/dmarccache").starts_with("relaxed.example unknown "));
}

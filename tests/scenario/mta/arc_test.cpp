// ARC seals checked by an independent implementation: dkimpy's arc_verify (Debian's
// python3-dkim, tests/support/dkimpy.hpp) on sets that remote delivery's signer and
// qm::dkim::arc_seal made with 2048-bit keys - one hop, two hops of different domains, a
// list's change after a chain that passed on arrival - and on messages changed after the
// seal.
#include "dkimpy.hpp"
#include "qm/dkim/arc.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/dkim/signer.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <map>

namespace {

struct Domain {
    std::string name;
    std::string selector;
    qm::dkim::KeyPair pair;
    [[nodiscard]] qm::dkim::SigningKey key() const {
        return {name, selector, qm::dkim::Algorithm::rsa_sha256, pair.private_pem};
    }
};

Domain domain(const std::string& name, const std::string& selector,
              std::map<std::string, std::string>& records) {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256);
    REQUIRE(pair);
    records[selector + "._domainkey." + name] = pair->txt;
    return {name, selector, *pair};
}

qm::dkim::TxtLookup lookup(const std::map<std::string, std::string>& records) {
    return [&records](const std::string& name) -> qm::Result<std::vector<std::string>> {
        auto found = records.find(name);
        if (found == records.end())
            return std::vector<std::string>{};
        return std::vector<std::string>{found->second};
    };
}

const std::string post = "Received: from client.poster.example by mx.lists.example\n"
                         "From: Ann <ann@poster.example>\n"
                         "To: team@lists.example\n"
                         "Subject: [team] the agenda\n"
                         "Date: Sun, 06 Dec 2026 16:00:00 +0000\n"
                         "Message-ID: <agenda@poster.example>\n"
                         "List-Id: <team.lists.example>\n"
                         "MIME-Version: 1.0\n"
                         "Content-Type: text/plain; charset=utf-8\n"
                         "\n"
                         "Hello,\n\n  the agenda\tfor Monday.  \n\n-- \nteam mailing list\n\n";

std::string results(const std::string& id, const std::string& arc = "") {
    return "Authentication-Results: " + id +
           ";\n\tspf=pass (mx: domain of poster.example designates 192.0.2.7 as permitted "
           "sender) smtp.mailfrom=ann@poster.example;\n"
           "\tdkim=pass header.d=poster.example header.s=p1;\n"
           "\tdmarc=pass (p=none) header.from=poster.example" +
           (arc.empty() ? "" : ";\n\tarc=" + arc) + "\n";
}

std::string seal(const std::string& message, const Domain& d, const std::string& id,
                 const std::map<std::string, std::string>& records) {
    auto set = qm::dkim::arc_seal(message, d.key(), id, lookup(records));
    REQUIRE(set);
    REQUIRE_FALSE(set->empty());
    return *set + message;
}

} // namespace

TEST_CASE("dkimpy's arc_verify passes our seal - one hop through the signer, then a second "
          "hop of another domain - and fails a body changed after it",
          "[scenario][dkim][arc]") {
    if (!qmtest::have_dkimpy())
        return qmtest::skip("python3-dkim is not installed (script/bootstrap installs it)");
    std::map<std::string, std::string> records;
    const Domain lists = domain("lists.example", "arc2026", records);
    const Domain fwd = domain("fwd.example", "f2026", records);

    // Remote delivery's signer: DKIM as the list's domain (its VERP return path), sealed
    // because the post carries our Authentication-Results field.
    qmtest::TempDir dir;
    qmtest::spit(dir / "lists.key", lists.pair.private_pem, 0600);
    auto entries = qm::dkim::parse_dkimkeys("lists.example:arc2026:lists.key\n", "dkimkeys");
    REQUIRE(entries);
    auto signer =
        qm::dkim::Signer::from_entries(*entries, dir.path(), {"mx.lists.example", {"", 500, 1}});
    REQUIRE(signer);
    const std::string arrived = results("mx.lists.example", "none") + post;
    auto fields = signer->sign(arrived, "team-return-7-@lists.example");
    REQUIRE(fields);
    const std::string one = *fields + arrived;
    INFO(one);
    CHECK(one.starts_with("ARC-Seal: i=1; a=rsa-sha256; t="));
    qmtest::TempDir d1;
    const auto v1 = qmtest::dkimpy_verify(d1, records, one);
    INFO(v1.log);
    CHECK(v1.cv == "pass");
    CHECK(v1.reason == "success");
    CHECK(v1.sets == std::vector<std::string>{"i=1 ams=1 as=1 cv=none"});
    CHECK(v1.dkim == "pass");

    // A forwarder of another domain seals on top: i=2, cv=pass, covering both sets.
    const std::string two = seal(results("mx.fwd.example") + one, fwd, "mx.fwd.example", records);
    qmtest::TempDir d2;
    const auto v2 = qmtest::dkimpy_verify(d2, records, two);
    INFO(v2.log);
    CHECK(v2.cv == "pass");
    CHECK(v2.sets == std::vector<std::string>{"i=2 ams=1 as=1 cv=pass", "i=1 ams=1 as=1 cv=none"});

    // The body changed after the seal: the newest message signature breaks.
    std::string tampered = two;
    tampered.replace(tampered.find("the agenda\tfor"), 10, "the budget");
    qmtest::TempDir d3;
    const auto v3 = qmtest::dkimpy_verify(d3, records, tampered);
    INFO(v3.log);
    CHECK(v3.cv == "fail");
    CHECK(v3.reason == "Most recent ARC-Message-Signature did not validate");
    CHECK(v3.dkim == "fail");
    // A field of a set changed: a seal breaks.
    std::string forged = two;
    const std::string claim = "i=1; mx.lists.example;\n\tspf=pass";
    forged.replace(forged.find(claim), claim.size(), "i=1; mx.lists.example;\n\tspf=fail");
    qmtest::TempDir d4;
    const auto v4 = qmtest::dkimpy_verify(d4, records, forged);
    INFO(v4.log);
    CHECK(v4.cv == "fail");
    CHECK(v4.reason == "ARC-Seal[2] did not validate");
}

TEST_CASE("dkimpy passes a list's seal over a message it changed after a chain that passed "
          "on arrival - and sees the chain end at our cv=fail",
          "[scenario][dkim][arc]") {
    if (!qmtest::have_dkimpy())
        return qmtest::skip("python3-dkim is not installed (script/bootstrap installs it)");
    std::map<std::string, std::string> records;
    const Domain lists = domain("lists.example", "arc2026", records);
    const Domain fwd = domain("fwd.example", "f2026", records);
    // The post reached the list through a forwarder that sealed it.
    const std::string forwarded =
        seal(results("mx.fwd.example") + post, fwd, "mx.fwd.example", records);
    // qmail-smtpd found that chain passing (arc=pass); the list then tagged the subject,
    // which breaks the forwarder's message signature, and sealed.
    std::string changed = results("mx.lists.example", "pass") + forwarded;
    changed.replace(changed.find("Subject: [team] the agenda"), 26, "Subject: [team] [7] agenda");
    const std::string sealed = seal(changed, lists, "mx.lists.example", records);
    qmtest::TempDir d1;
    const auto v1 = qmtest::dkimpy_verify(d1, records, sealed);
    INFO(v1.log);
    CHECK(v1.cv == "pass");
    CHECK(v1.sets == std::vector<std::string>{"i=2 ams=1 as=1 cv=pass", "i=1 ams=0 as=1 cv=none"});

    // Found failing on arrival: sealed cv=fail over our set alone, and the chain ends.
    const std::string failed =
        seal(results("mx.lists.example", "fail") + forwarded, lists, "mx.lists.example", records);
    qmtest::TempDir d2;
    const auto v2 = qmtest::dkimpy_verify(d2, records, failed);
    INFO(v2.log);
    CHECK(v2.cv == "ended");
    CHECK(v2.reason == "ARC-Seal[2] reported failure, the chain is terminated");
}

// ARC (RFC 8617) on our own canonicalization: RFC 6376's examples, tag lists, the chain's
// structure, and sets that this code seals and validates with keys from a table standing
// in for DNS (dkimpy checks them independently in the scenario tests).
#include "qm/dkim/arc.hpp"
#include "qm/dkim/canon.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/dkim/sign.hpp"
#include "qm/dkim/signer.hpp"
#include "qm/mailauth/authentication_results.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <regex>

using qm::dkim::ChainStatus;

namespace {

// RFC 6376 3.4.5's example message, as the queue would store it (LF) and on the wire.
constexpr std::string_view example_lf = "A: X\nB : Y\t\n\tZ  \n\n C \nD \t E\n\n\n";
constexpr std::string_view example_crlf =
    "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";

std::string canonical_header(std::string_view message, bool relaxed) {
    std::string out;
    for (const auto field : qm::dkim::split_message(message).fields)
        out += relaxed ? qm::dkim::relaxed_header(field) : qm::dkim::simple_header(field);
    return out;
}

// Key records by name, counting the questions; a name in unanswered gets no answer.
struct FakeDns {
    std::map<std::string, std::string> records;
    std::vector<std::string> unanswered;
    int questions = 0;

    qm::dkim::TxtLookup lookup() {
        return [this](const std::string& name) -> qm::Result<std::vector<std::string>> {
            ++questions;
            if (std::find(unanswered.begin(), unanswered.end(), name) != unanswered.end())
                return qm::fail(qm::temp("4.4.3", "no answer"));
            auto found = records.find(name);
            if (found == records.end())
                return std::vector<std::string>{};
            return std::vector<std::string>{found->second};
        };
    }
};

qm::dkim::SigningKey new_key(FakeDns& dns, const std::string& domain, const std::string& selector,
                             unsigned bits = 1024) {
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256, bits);
    REQUIRE(pair);
    dns.records[selector + "._domainkey." + domain] = pair->txt;
    return {domain, selector, qm::dkim::Algorithm::rsa_sha256, pair->private_pem};
}

const std::string post = "From: Ann <ann@poster.example>\n"
                         "To: team@lists.example\n"
                         "Subject: [team] hello\n"
                         "Date: Sun, 06 Dec 2026 16:00:00 +0000\n"
                         "Message-ID: <1@poster.example>\n"
                         "List-Id: <team.lists.example>\n"
                         "\n"
                         "Hello,  list\n"
                         "-- \nthe footer the list added\n";

std::string results(const std::string& id, const std::string& extra = "") {
    return "Authentication-Results: " + id +
           ";\n\tspf=pass smtp.mailfrom=ann@poster.example;\n\tdkim=pass header.d=poster.example" +
           extra + "\n";
}

std::string sealed(const std::string& message, const qm::dkim::SigningKey& key,
                   const std::string& id, FakeDns& dns) {
    auto set = qm::dkim::arc_seal(message, key, id, dns.lookup());
    REQUIRE(set);
    REQUIRE_FALSE(set->empty());
    return *set + message;
}

std::string cv_of(const std::string& message, unsigned instance) {
    std::smatch m;
    const std::regex seal("ARC-Seal: i=" + std::to_string(instance) + "; [^\n]*cv=([a-z]+)");
    return std::regex_search(message, m, seal) ? m[1].str() : std::string();
}

} // namespace

TEST_CASE("relaxed and simple canonicalization give RFC 6376 3.4.5's examples - from LF or "
          "CRLF line ends",
          "[dkim][arc]") {
    for (const auto message : {example_lf, example_crlf}) {
        const auto parts = qm::dkim::split_message(message);
        REQUIRE(parts.fields.size() == 2);
        CHECK(canonical_header(message, true) == "a:X\r\nb:Y Z\r\n");
        CHECK(qm::dkim::relaxed_body(parts.body) == " C\r\nD E\r\n");
        CHECK(canonical_header(message, false) == "A: X\r\nB : Y\t\r\n\tZ  \r\n");
        CHECK(qm::dkim::simple_body(parts.body) == " C \r\nD \t E\r\n");
    }
    // An empty body: nothing (relaxed), one CRLF (simple); a last line without its line
    // end gets one; empty lines count only before text.
    CHECK(qm::dkim::relaxed_body("").empty());
    CHECK(qm::dkim::relaxed_body("\n \n\t\n").empty());
    CHECK(qm::dkim::simple_body("") == "\r\n");
    CHECK(qm::dkim::simple_body("\n\n") == "\r\n");
    CHECK(qm::dkim::relaxed_body("a  b\t") == "a b\r\n");
    CHECK(qm::dkim::relaxed_body("\n\na\n\n") == "\r\n\r\na\r\n");
    // A CR that ends no line is text.
    CHECK(qm::dkim::relaxed_body("a\rb\r\n") == "a\rb\r\n");
    // A colon in the value stays where it is; blanks around the field's own go.
    CHECK(qm::dkim::relaxed_header("Subject \t:  :x:  y ") == "subject::x: y\r\n");
    CHECK(qm::dkim::relaxed_header("X-Empty:   ") == "x-empty:\r\n");
    // A line without a colon is all name, unfolded alike from LF and CRLF (the fuzzer's
    // find).
    CHECK(qm::dkim::relaxed_header("No colon\n\tfolded ") == "no colon\tfolded:\r\n");
    CHECK(qm::dkim::relaxed_header("No colon\r\n\tfolded ") == "no colon\tfolded:\r\n");
    // No empty line: all header, no body.
    const auto header_only = qm::dkim::split_message("A: 1\nB: 2");
    CHECK(header_only.fields.size() == 2);
    CHECK(header_only.body.empty());
}

TEST_CASE("tag=value lists - blanks and folding around values, repeated or nameless tags "
          "refused",
          "[dkim][arc]") {
    auto tags = qm::dkim::parse_tags(" i=1; a = rsa-sha256;\n\tb=ab\n\t cd ;");
    REQUIRE(tags);
    REQUIRE(tags->size() == 3);
    CHECK(qm::dkim::tag_value(*tags, "a") == "rsa-sha256");
    CHECK(qm::dkim::tag_value(*tags, "b") == "ab\n\t cd");
    CHECK_FALSE(qm::dkim::tag_value(*tags, "A"));
    CHECK_FALSE(qm::dkim::parse_tags("i=1; i=2"));
    CHECK_FALSE(qm::dkim::parse_tags("i=1; x"));
    CHECK_FALSE(qm::dkim::parse_tags("=1"));
    CHECK_FALSE(qm::dkim::parse_tags("i=1;; a=2"));
    CHECK_FALSE(qm::dkim::parse_tags("1x=2"));
    CHECK(qm::dkim::parse_tags("")->empty());
    // b= emptied, bh= kept.
    CHECK(qm::dkim::without_signature("ARC-Seal: i=1; bh=xyz; b=ab\n\tcd; d=x") ==
          "ARC-Seal: i=1; bh=xyz; b=; d=x");
    CHECK(qm::dkim::without_signature("X: a=1;\n b = ab\n\tcd") == "X: a=1;\n b =");
    CHECK(qm::dkim::without_signature("X: bh=1") == "X: bh=1");
}

TEST_CASE("the Authentication-Results result of one method - past comments and quotes",
          "[dkim][arc]") {
    using qm::mailauth::method_result;
    CHECK(method_result(" mx.example; spf=pass; arc=pass (i=1) smtp.remote-ip=192.0.2.7", "arc") ==
          "pass");
    CHECK(method_result(" mx.example;\n\tARC = FAIL", "arc") == "fail");
    CHECK(method_result(" mx.example; dkim/1=pass", "dkim") == "pass");
    CHECK(method_result(" mx.example (; arc=pass); spf=pass x=\"; arc=pass\"", "arc").empty());
    CHECK(method_result(" \"mx;arc=pass\"; spf=pass", "arc").empty());
    CHECK(method_result(" mx.example; none", "arc").empty());
}

TEST_CASE("an ARC chain's structure - sets by instance, gaps, doubles, cv= and the limit",
          "[dkim][arc]") {
    auto set = [](int i, const std::string& cv) {
        const std::string n = std::to_string(i);
        return "ARC-Seal: i=" + n + "; a=rsa-sha256; cv=" + cv + "; d=x; s=y; b=z\n" +
               "ARC-Message-Signature: i=" + n + "; a=rsa-sha256; d=x; s=y; h=from; bh=a; b=z\n" +
               "ARC-Authentication-Results: i=" + n + "; mx.example; spf=pass\n";
    };
    const auto none = qm::dkim::parse_arc_chain(post);
    CHECK(none.highest == 0);
    CHECK(none.well_formed);
    CHECK(none.sets.empty());

    const auto two = qm::dkim::parse_arc_chain(set(2, "pass") + set(1, "none") + post);
    CHECK(two.well_formed);
    CHECK(two.highest == 2);
    CHECK(two.last_cv == "pass");
    REQUIRE(two.sets.size() == 2);
    CHECK(two.sets[0].instance == 1);
    CHECK(two.sets[0].seal.starts_with("ARC-Seal: i=1;"));
    CHECK(two.sets[1].results == "ARC-Authentication-Results: i=2; mx.example; spf=pass");

    auto problem = [](const std::string& message) {
        const auto c = qm::dkim::parse_arc_chain(message);
        CHECK_FALSE(c.well_formed);
        return c.problem;
    };
    CHECK(problem(set(2, "pass") + post) == "no ARC set with i=1");
    CHECK(problem(set(1, "pass") + post) == "the ARC-Seal with i=1 says cv=pass");
    CHECK(problem(set(2, "none") + set(1, "none") + post) == "the ARC-Seal with i=2 says cv=none");
    CHECK(problem(set(1, "none") + "ARC-Seal: i=1; cv=none\n" + post) ==
          "two ARC-Seal fields with i=1");
    CHECK(problem("ARC-Seal: i=1; cv=none\n" + post) == "the ARC set with i=1 is incomplete");
    CHECK(problem("ARC-Seal: i=x; cv=none\n" + post) == "an ARC-Seal field without a readable i=");
    CHECK(problem("ARC-Authentication-Results: mx.example; i=1\n" + post) ==
          "an ARC-Authentication-Results field without a readable i=");
    const auto beyond = qm::dkim::parse_arc_chain(set(51, "pass") + set(1, "none") + post);
    CHECK_FALSE(beyond.well_formed);
    CHECK(beyond.highest == 51);
    // A chain that ended: its newest seal said so.
    const auto ended = qm::dkim::parse_arc_chain(set(2, "fail") + set(1, "none") + post);
    CHECK(ended.last_cv == "fail");
    // ARC fields in the body are text.
    CHECK(qm::dkim::parse_arc_chain(post + set(1, "none")).highest == 0);
}

TEST_CASE("an ARC set we seal validates - one hop, two hops - and a changed message or set "
          "does not",
          "[dkim][arc]") {
    FakeDns dns;
    const auto lists = new_key(dns, "lists.example", "arc1");
    const auto fwd = new_key(dns, "fwd.example", "f1");

    const std::string one =
        sealed(results("mx.lists.example") + post, lists, "mx.lists.example", dns);
    INFO(one);
    CHECK(one.starts_with("ARC-Seal: i=1; a=rsa-sha256; t="));
    CHECK(cv_of(one, 1) == "none");
    CHECK(one.find("\nARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; "
                   "d=lists.example;\n\ts=arc1; t=") != std::string::npos);
    // Our Authentication-Results payload, as it was.
    CHECK(one.find("\nARC-Authentication-Results: i=1; mx.lists.example;\n\tspf=pass "
                   "smtp.mailfrom=ann@poster.example;\n\tdkim=pass header.d=poster.example\n" +
                   results("mx.lists.example")) != std::string::npos);
    // Every line below RFC 5322's 78 columns.
    for (size_t pos = 0, nl = 0; (nl = one.find('\n', pos)) != std::string::npos; pos = nl + 1)
        CHECK(nl - pos <= 78);
    const auto check = qm::dkim::validate_arc_chain(one, dns.lookup());
    INFO(check.reason);
    CHECK(check.status == ChainStatus::pass);

    // The next hop seals the chain it validated: cv=pass, over both sets.
    const std::string two = sealed(results("mx.fwd.example") + one, fwd, "mx.fwd.example", dns);
    CHECK(two.starts_with("ARC-Seal: i=2; a=rsa-sha256;"));
    CHECK(cv_of(two, 2) == "pass");
    CHECK(qm::dkim::validate_arc_chain(two, dns.lookup()).status == ChainStatus::pass);

    auto status = [&](std::string message, const std::string& from, const std::string& to) {
        const size_t at = message.find(from);
        REQUIRE(at != std::string::npos);
        message.replace(at, from.size(), to);
        return qm::dkim::validate_arc_chain(message, dns.lookup());
    };
    // The body, a signed field, the first set's results: each breaks it.
    const auto body = status(two, "Hello", "Howdy");
    CHECK(body.status == ChainStatus::fail);
    CHECK(body.reason == "i=2: the body hash did not verify");
    CHECK(status(two, "[team] hello", "[team] HELLO").status == ChainStatus::fail);
    const auto aar =
        status(two, "i=1; mx.lists.example;\n\tspf=pass", "i=1; mx.lists.example;\n\tspf=none");
    // The newest seal covers every set, and is checked first.
    CHECK(aar.status == ChainStatus::fail);
    CHECK(aar.reason == "i=2: the signature of d=fwd.example did not verify");
    // Relaxed canonicalization: refolded whitespace in a signed field is no change.
    CHECK(status(two, "Subject: [team] hello", "Subject:  [team]\n\thello").status ==
          ChainStatus::pass);
    // An unsigned field may be added.
    CHECK(qm::dkim::validate_arc_chain("X-Added: 1\n" + two, dns.lookup()).status ==
          ChainStatus::pass);
    // Another key at the selector; a revoked one; no answer at all.
    FakeDns other = dns;
    new_key(other, "lists.example", "arc1");
    CHECK(qm::dkim::validate_arc_chain(two, other.lookup()).status == ChainStatus::fail);
    other = dns;
    other.records["arc1._domainkey.lists.example"] = "v=DKIM1; k=rsa; p=";
    CHECK(qm::dkim::validate_arc_chain(two, other.lookup()).reason ==
          "i=1: the key at arc1._domainkey.lists.example is revoked");
    other = dns;
    other.unanswered = {"f1._domainkey.fwd.example"};
    CHECK(qm::dkim::validate_arc_chain(two, other.lookup()).status == ChainStatus::temperror);
    // x=, a Unix time of ten digits: past it the message signature has expired; before it
    // the check goes on (here to the signature, which the added tag broke).
    CHECK(status(one, "ARC-Message-Signature: i=1;", "ARC-Message-Signature: i=1; x=1000000000;")
              .reason == "i=1: the message signature has expired");
    CHECK(status(one, "ARC-Message-Signature: i=1;", "ARC-Message-Signature: i=1; x=4102444800;")
              .reason == "i=1: the signature of d=lists.example did not verify");
    // A key is fetched once per validation though two signatures use it.
    dns.questions = 0;
    CHECK(qm::dkim::validate_arc_chain(one, dns.lookup()).status == ChainStatus::pass);
    CHECK(dns.questions == 1);
}

TEST_CASE("what is sealed - only mail with our Authentication-Results, an RSA key, a chain "
          "that has not ended, cv= from qmail-smtpd's arc= result",
          "[dkim][arc]") {
    FakeDns dns;
    const auto lists = new_key(dns, "lists.example", "arc1");
    const auto fwd = new_key(dns, "fwd.example", "f1");
    auto seal = [&](const std::string& message, const std::string& id = "mx.lists.example",
                    const qm::dkim::SigningKey* key = nullptr) {
        auto set = qm::dkim::arc_seal(message, key ? *key : lists, id, dns.lookup());
        REQUIRE(set);
        return *set;
    };
    // Our users' mail, and mail checked by someone else, carry no field of ours.
    CHECK(seal(post).empty());
    CHECK(seal(results("mx.other.example") + post).empty());
    CHECK_FALSE(seal(results("MX.Lists.Example") + post).empty());
    // RFC 8617 allows rsa-sha256 only.
    auto ed = qm::dkim::generate_key(qm::dkim::Algorithm::ed25519_sha256);
    REQUIRE(ed);
    const qm::dkim::SigningKey ed_key{"lists.example", "ed", qm::dkim::Algorithm::ed25519_sha256,
                                      ed->private_pem};
    CHECK(seal(results("mx.lists.example") + post, "mx.lists.example", &ed_key).empty());

    const std::string first = sealed(results("mx.fwd.example") + post, fwd, "mx.fwd.example", dns);
    // qmail-smtpd found the chain passing as it came in: cv=pass without asking DNS
    // (the list changed the message since: the newest message signature fails now).
    std::string changed = results("mx.lists.example", ";\n\tarc=pass") + first;
    changed.replace(changed.find("Hello"), 5, "Howdy");
    dns.questions = 0;
    const std::string vouched = seal(changed) + changed;
    CHECK(dns.questions == 0);
    CHECK(cv_of(vouched, 2) == "pass");
    CHECK(qm::dkim::validate_arc_chain(vouched, dns.lookup()).status == ChainStatus::pass);
    // Without that result the chain is validated now: it fails, and nothing is claimed.
    std::string unknown = results("mx.lists.example") + first;
    unknown.replace(unknown.find("Hello"), 5, "Howdy");
    CHECK(seal(unknown).empty());
    // Unchanged mail (a forward) validates now and passes.
    const std::string forwarded = seal(results("mx.lists.example") + first);
    CHECK(forwarded.starts_with("ARC-Seal: i=2; a=rsa-sha256;"));
    CHECK(forwarded.find("cv=pass") != std::string::npos);
    // A result that does not fit the chain (pass claimed, no chain here): validated now.
    const std::string lone = seal(results("mx.lists.example", ";\n\tarc=pass") + post);
    CHECK(lone.find("cv=none") != std::string::npos);

    // arc=fail: sealed with cv=fail over our set alone; the chain has ended and no one
    // seals after it; a validator says fail.
    const std::string failed = seal(results("mx.lists.example", ";\n\tarc=fail") + first) +
                               results("mx.lists.example", ";\n\tarc=fail") + first;
    CHECK(cv_of(failed, 2) == "fail");
    CHECK(qm::dkim::validate_arc_chain(failed, dns.lookup()).status == ChainStatus::fail);
    CHECK(seal(results("mx.fwd.example") + failed, "mx.fwd.example", &fwd).empty());

    // Fifty sets: no fifty-first.
    std::string fifty = post;
    for (int i = 1; i <= 50; ++i) {
        const std::string n = std::to_string(i);
        fifty = "ARC-Seal: i=" + n + "; a=rsa-sha256; cv=" + (i == 1 ? "none" : "pass") +
                "; d=x; s=y; b=z\nARC-Message-Signature: i=" + n +
                "; a=rsa-sha256; d=x; s=y; h=from; bh=a; b=z\nARC-Authentication-Results: i=" + n +
                "; mx.example; spf=pass\n" + fifty;
    }
    CHECK(seal(results("mx.lists.example", ";\n\tarc=pass") + fifty).empty());
}

TEST_CASE("the signer seals list mail that carries our Authentication-Results - on top of "
          "its DKIM signature - and not our users' mail",
          "[dkim][arc]") {
    qmtest::TempDir dir;
    FakeDns dns;
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256, 1024);
    REQUIRE(pair);
    dns.records["s1._domainkey.lists.example"] = pair->txt;
    qmtest::spit(dir / "lists.key", pair->private_pem, 0600);
    auto ed = qm::dkim::generate_key(qm::dkim::Algorithm::ed25519_sha256);
    REQUIRE(ed);
    qmtest::spit(dir / "ed.key", ed->private_pem, 0600);
    qmtest::spit(dir / "only-ed.key", ed->private_pem, 0600);
    auto entries = qm::dkim::parse_dkimkeys("lists.example:ed:ed.key\n"
                                            "lists.example:s1:lists.key\n"
                                            "ed.example:ed:only-ed.key\n",
                                            "dkimkeys");
    REQUIRE(entries);
    auto signer =
        qm::dkim::Signer::from_entries(*entries, dir.path(), {"mx.lists.example", {"", 500, 1}});
    REQUIRE(signer);

    const std::string message = results("mx.lists.example") + post;
    auto fields = signer->sign(message, "team-return-1-@lists.example");
    REQUIRE(fields);
    INFO(*fields);
    // The set on top, then the two DKIM signatures; the set's message signature covers them.
    CHECK(fields->starts_with("ARC-Seal: i=1; a=rsa-sha256; t="));
    CHECK(fields->find("\nARC-Message-Signature: i=1;") <
          fields->find("\nARC-Authentication-Results: i=1;"));
    CHECK(fields->find("\nDKIM-Signature: v=1; a=ed25519-sha256;") != std::string::npos);
    CHECK(fields->find("\nDKIM-Signature: v=1; a=rsa-sha256;") != std::string::npos);
    CHECK(std::regex_search(*fields,
                            std::regex("h=from:from:[^;]*dkim-signature:\\s*dkim-signature;")));
    const std::string out = *fields + message;
    CHECK(qm::dkim::validate_arc_chain(out, dns.lookup()).status == ChainStatus::pass);
    // OpenDKIM still verifies the DKIM signature below the set.
    qmtest::spit(dir / "keys", "s1._domainkey.lists.example " + pair->txt + "\n");
    const size_t dkim = out.find("DKIM-Signature: v=1; a=rsa-sha256;");
    CHECK(qm::dkim::verify_with_key_file(out.substr(dkim), dir / "keys"));

    // Our users' mail: signed, not sealed.
    auto own = signer->sign(post, "ann@lists.example");
    REQUIRE(own);
    CHECK(own->starts_with("DKIM-Signature: "));
    CHECK(own->find("ARC-") == std::string::npos);
    // A domain whose keys are all Ed25519: signed, not sealed.
    auto ed_only = signer->sign(results("mx.lists.example") + post, "x@ed.example");
    REQUIRE(ed_only);
    CHECK(ed_only->starts_with("DKIM-Signature: v=1; a=ed25519-sha256;"));
    CHECK(ed_only->find("ARC-") == std::string::npos);
    // No authserv-id (no control/authservid, no control/me): nothing sealed.
    auto unnamed = qm::dkim::Signer::from_entries(*entries, dir.path());
    REQUIRE(unnamed);
    auto plain = unnamed->sign(message, "team-return-1-@lists.example");
    REQUIRE(plain);
    CHECK(plain->find("ARC-") == std::string::npos);
}

TEST_CASE("Signer::load seals only when control/authcheck asks for arc - the admin's choice, "
          "as a local user can write a field with our name",
          "[dkim][arc]") {
    qmtest::TempDir dir;
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256, 1024);
    REQUIRE(pair);
    qmtest::spit(dir / "lists.key", pair->private_pem, 0600);
    qmtest::spit(dir / "dkimkeys", "lists.example:s1:lists.key\n");
    qmtest::spit(dir / "authservid", "mx.lists.example\n");
    const std::string message = results("mx.lists.example") + post;
    auto sealed = [&] {
        auto signer = qm::dkim::Signer::load(dir.path());
        REQUIRE(signer);
        auto fields = signer->sign(message, "team-return-1-@lists.example");
        REQUIRE(fields);
        CHECK(fields->find("DKIM-Signature: v=1; a=rsa-sha256;") != std::string::npos);
        return fields->starts_with("ARC-Seal: i=1;");
    };
    CHECK_FALSE(sealed()); // no control/authcheck
    qmtest::spit(dir / "authcheck", "spf\ndkim\ndmarc\n");
    CHECK_FALSE(sealed());
    qmtest::spit(dir / "authcheck", "spf\n  arc   # validate on arrival, seal on departure\n");
    CHECK(sealed());
}

// DKIM: control/dkimkeys, key pairs, and signatures that OpenDKIM's verifier accepts (the
// public key from a file standing in for DNS), for RSA and Ed25519.
#include "qm/dkim/keys.hpp"
#include "qm/dkim/sign.hpp"
#include "qm/dkim/signer.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <regex>

namespace {

constexpr std::string_view message =
    "Return-Path: <list-return-1-joe=x.example@lists.example.org>\n"
    "From: Ann <ann@example.org>\n"
    "To: joe@x.example\n"
    "Subject: a test\n"
    "  folded\n"
    "Date: Sun, 06 Dec 2026 16:00:00 +0000\n"
    "Message-ID: <1@example.org>\n"
    "List-Unsubscribe: <mailto:list-unsubscribe@example.org>\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n"
    "X-Other: not signed\n"
    "\n"
    "Hello,  world  \n"
    "\n"
    ".a dot line\n"
    "\n\n";

// The key file OpenDKIM's test query method reads: "NAME TXT" per line.
std::string key_file(const qmtest::TempDir& dir, const std::string& selector,
                     const std::string& domain, const std::string& txt) {
    const std::string path = dir / "keys";
    qmtest::spit(path, selector + "._domainkey." + domain + " " + txt + "\n");
    return path;
}

} // namespace

TEST_CASE("control/dkimkeys names a key per domain - .domain for those under it - and its "
          "errors name the line",
          "[dkim]") {
    auto entries = qm::dkim::parse_dkimkeys("# keys\n"
                                            "Example.org:s2026:dkim/example.org.s2026.key\n"
                                            "example.org:s2027:dkim/example.org.s2027.key\n"
                                            "\n"
                                            ".example.org:sub:/etc/sub.key\n",
                                            "control/dkimkeys");
    REQUIRE(entries);
    REQUIRE(entries->size() == 3);
    CHECK((*entries)[0].domain == "example.org");
    CHECK((*entries)[0].selector == "s2026");
    CHECK((*entries)[0].key_file == "dkim/example.org.s2026.key");
    // Both selectors sign during a rotation.
    CHECK(qm::dkim::entries_for(*entries, "EXAMPLE.org").size() == 2);
    const auto sub = qm::dkim::entries_for(*entries, "lists.example.org");
    REQUIRE(sub.size() == 1);
    CHECK(sub[0].selector == "sub");
    CHECK(qm::dkim::entries_for(*entries, "example.net").empty());
    CHECK(qm::dkim::entries_for(*entries, "org").empty());

    auto bad = qm::dkim::parse_dkimkeys("example.org:s1:k\nexample.org:s2\n", "control/dkimkeys");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().text == "control/dkimkeys line 2: not DOMAIN:SELECTOR:KEYFILE");
    CHECK(qm::dkim::parse_dkimkeys("example.org:a b:k\n", "f").error().text ==
          "f line 1: the selector is not a DNS name");
    CHECK(qm::dkim::parse_dkimkeys(":s:k\n", "f").error().text == "f line 1: no domain");
    CHECK(qm::dkim::parse_dkimkeys("d:s:\n", "f").error().text == "f line 1: no key file");
}

TEST_CASE("a DKIM signature from a new RSA or Ed25519 key verifies with OpenDKIM and a "
          "changed message does not",
          "[dkim]") {
    const auto algorithm =
        GENERATE(qm::dkim::Algorithm::rsa_sha256, qm::dkim::Algorithm::ed25519_sha256);
    qmtest::TempDir dir;
    auto pair = qm::dkim::generate_key(algorithm);
    REQUIRE(pair);
    const bool ed = algorithm == qm::dkim::Algorithm::ed25519_sha256;
    CHECK(pair->txt.starts_with(ed ? "v=DKIM1; k=ed25519; p=" : "v=DKIM1; k=rsa; p="));
    // Ed25519's record holds the 32-byte key (44 base64 characters); RSA-2048's is ~392.
    CHECK(pair->txt.size() == (ed ? 22 + 44 : 18 + 392));
    qmtest::spit(dir / "private.key", pair->private_pem, 0600);
    auto key = qm::dkim::load_signing_key("example.org", "s2026", dir / "private.key");
    REQUIRE(key);
    CHECK(key->algorithm == algorithm);
    CHECK(qm::dkim::txt_record(*key) == pair->txt);

    auto sig = qm::dkim::signature(message, *key, 1765036800);
    REQUIRE(sig);
    INFO(*sig);
    // Folded at about 80 columns; unfolded it reads as RFC 6376 writes it.
    const std::string unfolded = std::regex_replace(*sig, std::regex("\n[\t ]+"), " ");
    CHECK(unfolded.starts_with(
        "DKIM-Signature: v=1; a=" + std::string(ed ? "ed25519-sha256" : "rsa-sha256") +
        "; c=relaxed/relaxed; d=example.org; s=s2026; t=1765036800; bh="));
    CHECK(sig->ends_with("\n"));
    CHECK(sig->find('\r') == std::string::npos);
    // Signed: From twice (over-signed), the List-* fields; not X-Other.
    std::smatch h;
    REQUIRE(std::regex_search(unfolded, h, std::regex("; h=([^;]*);")));
    std::string fields = std::regex_replace(h[1].str(), std::regex(" "), "");
    std::transform(fields.begin(), fields.end(), fields.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    CHECK(fields == "from:to:subject:date:message-id:list-unsubscribe:list-unsubscribe-post:from");

    const std::string keys = key_file(dir, "s2026", "example.org", pair->txt);
    const std::string signed_message = *sig + std::string(message);
    CHECK(qm::dkim::verify_with_key_file(signed_message, keys));
    // The same message with CRLF line ends: the same canonical form.
    std::string crlf = std::regex_replace(signed_message, std::regex("\n"), "\r\n");
    CHECK(qm::dkim::verify_with_key_file(crlf, keys));
    // Relaxed: whitespace changes in the header pass...
    std::string reflowed = signed_message;
    reflowed.replace(reflowed.find("Subject: a test"), 15, "Subject:   a   test");
    CHECK(qm::dkim::verify_with_key_file(reflowed, keys));
    // ...a changed body, a changed signed field, or an added From do not.
    std::string body = signed_message;
    body.replace(body.find("Hello"), 5, "Howdy");
    CHECK_FALSE(qm::dkim::verify_with_key_file(body, keys));
    std::string subject = signed_message;
    subject.replace(subject.find("a test"), 6, "a TEST");
    CHECK_FALSE(qm::dkim::verify_with_key_file(subject, keys));
    std::string second_from = signed_message;
    second_from.insert(second_from.find("To: "), "From: mallory@evil.example\n");
    CHECK_FALSE(qm::dkim::verify_with_key_file(second_from, keys));
    // Another key's record for the selector: fails.
    auto other = qm::dkim::generate_key(algorithm);
    REQUIRE(other);
    CHECK_FALSE(qm::dkim::verify_with_key_file(signed_message,
                                               key_file(dir, "s2026", "example.org", other->txt)));

    // The library handle serves every signature of this thread: a pinned time does not
    // stick to the next signature, which takes the clock's.
    const auto before = std::time(nullptr);
    (void)key_file(dir, "s2026", "example.org", pair->txt); // the right record again
    auto current = qm::dkim::signature(message, *key, 0);
    REQUIRE(current);
    std::smatch t;
    REQUIRE(std::regex_search(*current, t, std::regex("; t=([0-9]+);")));
    CHECK(std::stol(t[1].str()) >= before);
    CHECK(qm::dkim::verify_with_key_file(*current + std::string(message), keys));
}

TEST_CASE("a DKIM key file that is not a usable private key is refused", "[dkim]") {
    qmtest::TempDir dir;
    qmtest::spit(dir / "junk.key", "not a key\n");
    auto junk = qm::dkim::load_signing_key("example.org", "s", dir / "junk.key");
    REQUIRE_FALSE(junk);
    CHECK(junk.error().permanent());
    CHECK(junk.error().text == dir / "junk.key" + " holds no PEM private key");
    auto missing = qm::dkim::load_signing_key("example.org", "s", dir / "none.key");
    REQUIRE_FALSE(missing);
    CHECK_FALSE(missing.error().permanent());
    auto small = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256, 512);
    REQUIRE(small);
    qmtest::spit(dir / "small.key", small->private_pem);
    auto weak = qm::dkim::load_signing_key("example.org", "s", dir / "small.key");
    REQUIRE_FALSE(weak);
    CHECK(weak.error().text.ends_with("an RSA key of fewer than 1024 bits (RFC 8301)"));
}

TEST_CASE("the From domain signs when it has a key - else the envelope sender's domain - "
          "else nothing",
          "[dkim]") {
    CHECK(qm::dkim::from_domain("Subject: x\nFrom: \"Ann, A.\" <ann@Example.ORG>\n\nb\n") ==
          "Example.ORG");
    CHECK(qm::dkim::from_domain("from: joe@x.example (Joe)\n\n") == "x.example");
    CHECK(qm::dkim::from_domain("From: Joe\n <joe@folded.example>\n\n") == "folded.example");
    CHECK(qm::dkim::from_domain("From: undisclosed\n\n").empty());
    CHECK(qm::dkim::from_domain("Subject: x\n\nFrom: body@x.example\n").empty());

    qmtest::TempDir dir;
    for (const char* name : {"org.key", "list.key"}) {
        auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256, 1024);
        REQUIRE(pair);
        qmtest::spit(dir / name, pair->private_pem, 0600);
    }
    auto entries = qm::dkim::parse_dkimkeys(
        "example.org:s1:org.key\n.lists.example:s2:" + (dir / "list.key") + "\n", "dkimkeys");
    REQUIRE(entries);
    auto signer = qm::dkim::Signer::from_entries(*entries, dir.path());
    REQUIRE(signer);
    const auto d_of = [&](const std::string& message, const std::string& sender) {
        auto fields = signer->sign(message, sender);
        REQUIRE(fields);
        std::smatch d;
        return std::regex_search(*fields, d, std::regex(" d=([^;]+);")) ? d[1].str()
                                                                        : std::string();
    };
    CHECK(d_of("From: ann@example.org\n\nx\n", "bounce@elsewhere.example") == "example.org");
    // A list post keeps the poster's From: the list's VERP return path signs, as the
    // parent domain of its ".lists.example" line (DMARC's relaxed alignment).
    CHECK(d_of("From: joe@mail.example\n\nx\n", "team-return-7-a=b.example@team.lists.example") ==
          "lists.example");
    CHECK(d_of("From: joe@mail.example\n\nx\n", "joe@mail.example").empty());
    // A key that cannot be read: the whole table fails (temporarily), naming the file.
    auto broken =
        qm::dkim::Signer::from_entries({{"example.org", "s1", "missing.key"}}, dir.path());
    REQUIRE_FALSE(broken);
    CHECK_FALSE(broken.error().permanent());
    CHECK(broken.error().text.find("missing.key") != std::string::npos);
}

TEST_CASE("Ed25519 signatures come from dkim-sign --serve - a new process after each N "
          "requests - and verify",
          "[dkim]") {
    qmtest::TempDir dir;
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::ed25519_sha256);
    REQUIRE(pair);
    qmtest::spit(dir / "ed.key", pair->private_pem, 0600);
    auto key = qm::dkim::load_signing_key("example.org", "ed", dir / "ed.key");
    REQUIRE(key);
    const std::string keys = key_file(dir, "ed", "example.org", pair->txt);
    qm::dkim::SigningHelper helper(2);
    for (int i = 0; i < 5; ++i) {
        const std::string m = "From: ann@example.org\nSubject: " + std::to_string(i) + "\n\nbody\n";
        auto field = helper.sign(m, *key, dir / "ed.key");
        REQUIRE(field);
        CHECK(field->starts_with("DKIM-Signature: v=1; a=ed25519-sha256;"));
        CHECK(qm::dkim::verify_with_key_file(*field + m, keys));
    }
    CHECK(helper.started() == 3); // 2 + 2 + 1
    // The helper's refusal comes back with its reason and its severity.
    qmtest::spit(dir / "junk.key", "junk\n");
    auto refused = helper.sign("From: a@example.org\n\nx\n", *key, dir / "junk.key");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().permanent());
    CHECK(refused.error().text == "dkim-sign: " + dir / "junk.key" + " holds no PEM private key");
}

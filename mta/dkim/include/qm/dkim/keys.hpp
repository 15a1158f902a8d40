// DKIM keys: control/dkimkeys, which names the key each signing domain uses, and the key
// pairs themselves (made with OpenSSL, published as a TXT record).
//
// control/dkimkeys, one key per line, qmail style:
//   example.org:s2026:/var/qmail/control/dkim/example.org.s2026.key
//   .example.org:s2026:/var/qmail/control/dkim/example.org.s2026.key
// DOMAIN:SELECTOR:KEYFILE; ".DOMAIN" is every domain under DOMAIN (as in smtproutes),
// which signs as DOMAIN (DMARC's relaxed alignment);
// a relative KEYFILE is under control/. A domain with two lines is signed twice, so that a
// new selector can be published and used while the old one still verifies (rotation).
// Blank lines and lines starting with # are skipped.
#pragma once

#include "qm/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qm::dkim {

enum class Algorithm : std::uint8_t { rsa_sha256, ed25519_sha256 };

struct KeyEntry {
    std::string domain;   // lower case; ".example.org" for the domains under it
    std::string selector; // s2026
    std::string key_file; // as written
};

// A malformed line is a permanent failure naming file and line.
[[nodiscard]] Result<std::vector<KeyEntry>> parse_dkimkeys(std::string_view text,
                                                           std::string_view file_name);

// The entries that sign for domain (any case): the exact ones if there are any, else
// those of the nearest ".parent".
[[nodiscard]] std::vector<KeyEntry> entries_for(const std::vector<KeyEntry>& entries,
                                                std::string_view domain);

// A private key as the signer takes it.
struct SigningKey {
    std::string domain;
    std::string selector;
    Algorithm algorithm = Algorithm::rsa_sha256;
    std::string pem; // PKCS#8 PEM
};

// Reads a PEM private key (RSA of at least 1024 bits, or Ed25519). Unreadable: temporary;
// not a key of those kinds: permanent.
[[nodiscard]] Result<SigningKey> load_signing_key(std::string domain, std::string selector,
                                                  const std::string& path);

// A new key pair: the private key in PKCS#8 PEM, and the TXT record's text
// ("v=DKIM1; k=rsa; p=..."). RSA of bits bits, or Ed25519 (bits ignored).
struct KeyPair {
    std::string private_pem;
    std::string txt;
};
[[nodiscard]] Result<KeyPair> generate_key(Algorithm algorithm, unsigned bits = 2048);

// The TXT record's text for a private key already made.
[[nodiscard]] Result<std::string> txt_record(const SigningKey& key);

} // namespace qm::dkim

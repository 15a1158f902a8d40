// Fuzzes the DKIM signing path's handling of a message (our split into header fields and
// body, line ends made CRLF, the From domain's extraction) with OpenDKIM underneath.
// Properties: a message with a From address that gets a signature verifies with it
// (unless OpenDKIM's verifier cannot read that From); from_domain never returns text with
// a blank or a '>'.
#include "fuzz_check.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/dkim/sign.hpp"
#include "qm/dkim/signer.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace {

qm::dkim::SigningKey key;
std::string key_file;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // An RSA key made once (1024 bits: fast enough for fuzzing), its record where
    // OpenDKIM's test query method reads it. Not Ed25519: Debian 12's OpenDKIM leaks
    // each Ed25519 signature's key (see qm/dkim/signer.hpp), which LeakSanitizer reports.
    auto pair = qm::dkim::generate_key(qm::dkim::Algorithm::rsa_sha256, 1024);
    if (!pair)
        std::abort();
    char dir[] = "/tmp/dkim_fuzz.XXXXXX";
    if (::mkdtemp(dir) == nullptr)
        std::abort();
    key_file = std::string(dir) + "/keys";
    std::ofstream(key_file) << "fz._domainkey.fuzz.example " << pair->txt << "\n";
    key.domain = "fuzz.example";
    key.selector = "fz";
    key.algorithm = qm::dkim::Algorithm::rsa_sha256;
    key.pem = pair->private_pem;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view message(reinterpret_cast<const char*>(data), size);
    const std::string domain = qm::dkim::from_domain(message);
    QM_FUZZ_CHECK(domain.find_first_of(" \t\r\n>") == std::string::npos);
    auto sig = qm::dkim::signature(message, key, 1765036800);
    // A verifier needs the From address (OpenDKIM: "can't determine sender address"):
    // without one there is nothing a receiver could check.
    if (!sig || domain.empty())
        return 0;
    const std::string signed_message = *sig + std::string(message);
    const auto verified = qm::dkim::verify_with_key_file(signed_message, key_file);
    // OpenDKIM's verifier parses From itself, more strictly than qmail-inject's parser
    // (NUL bytes, odd atoms): a From it cannot read is its refusal, not a bad signature.
    // Every other failure is one.
    if (!verified &&
        verified.error().text.find("can't determine sender address") == std::string::npos) {
        std::fprintf(stderr, "verify: %s\n", verified.error().text.c_str());
        QM_FUZZ_CHECK(verified.has_value());
    }
    return 0;
}

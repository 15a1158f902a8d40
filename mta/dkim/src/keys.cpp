#include "qm/dkim/keys.hpp"

#include "qm/address.hpp"
#include "qm/fd.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

namespace qm::dkim {

namespace {

bool selector_ok(std::string_view s) {
    // A DNS label or dotted labels (RFC 6376 3.1: sub-domain syntax).
    if (s.empty() || s.front() == '.' || s.back() == '.')
        return false;
    return std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_';
    });
}

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

std::string base64(const unsigned char* data, size_t len) {
    std::string out(4 * ((len + 2) / 3) + 1, '\0');
    const int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
}

// "v=DKIM1; k=rsa; p=BASE64(SubjectPublicKeyInfo)" or, for Ed25519, the raw 32-byte public
// key (RFC 8463 4.2).
Result<std::string> txt_of(EVP_PKEY* key) {
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
        unsigned char raw[32];
        size_t len = sizeof raw;
        if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1)
            return fail(perm("5.3.5", "unable to read the Ed25519 public key"));
        return "v=DKIM1; k=ed25519; p=" + base64(raw, len);
    }
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(key, &der);
    if (len <= 0)
        return fail(perm("5.3.5", "unable to encode the public key"));
    std::string txt = "v=DKIM1; k=rsa; p=" + base64(der, static_cast<size_t>(len));
    OPENSSL_free(der);
    return txt;
}

std::string pem_of(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, len > 0 ? static_cast<size_t>(len) : 0);
}

Result<Pkey> read_pem(const std::string& pem, const std::string& path) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key)
        return fail(perm("5.3.5", path + " holds no PEM private key"));
    const int id = EVP_PKEY_get_base_id(key.get());
    if (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(key.get()) < 1024)
        return fail(perm("5.3.5", path + ": an RSA key of fewer than 1024 bits (RFC 8301)"));
    if (id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519)
        return fail(perm("5.3.5", path + ": neither an RSA nor an Ed25519 key"));
    return key;
}

} // namespace

Result<std::vector<KeyEntry>> parse_dkimkeys(std::string_view text, std::string_view file_name) {
    std::vector<KeyEntry> entries;
    size_t number = 0;
    for (size_t pos = 0; pos < text.size();) {
        const size_t nl = std::min(text.find('\n', pos), text.size());
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++number;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        if (line.empty() || line.front() == '#')
            continue;
        const auto where = [&] {
            return std::string(file_name) + " line " + std::to_string(number) + ": ";
        };
        const size_t c1 = line.find(':');
        const size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string_view::npos)
            return fail(perm("5.3.5", where() + "not DOMAIN:SELECTOR:KEYFILE"));
        KeyEntry e{address::lowercase(line.substr(0, c1)),
                   std::string(line.substr(c1 + 1, c2 - c1 - 1)), std::string(line.substr(c2 + 1))};
        if (e.domain.empty() || e.domain == ".")
            return fail(perm("5.3.5", where() + "no domain"));
        if (!selector_ok(e.selector))
            return fail(perm("5.3.5", where() + "the selector is not a DNS name"));
        if (e.key_file.empty())
            return fail(perm("5.3.5", where() + "no key file"));
        entries.push_back(std::move(e));
    }
    return entries;
}

std::vector<KeyEntry> entries_for(const std::vector<KeyEntry>& entries, std::string_view domain) {
    const std::string d = address::lowercase(domain);
    std::vector<KeyEntry> found;
    for (const auto& e : entries)
        if (e.domain == d)
            found.push_back(e);
    // The nearest ".parent": a.b.example.org tries .b.example.org, then .example.org, ...
    for (size_t dot = d.find('.'); found.empty() && dot != std::string::npos;
         dot = d.find('.', dot + 1)) {
        const std::string parent = d.substr(dot);
        for (const auto& e : entries)
            if (e.domain == parent)
                found.push_back(e);
    }
    return found;
}

Result<SigningKey> load_signing_key(std::string domain, std::string selector,
                                    const std::string& path) {
    auto pem = read_file(path);
    if (!pem)
        return fail(pem.error());
    auto key = read_pem(*pem, path);
    if (!key)
        return fail(key.error());
    SigningKey k;
    k.domain = std::move(domain);
    k.selector = std::move(selector);
    k.algorithm = EVP_PKEY_get_base_id(key->get()) == EVP_PKEY_ED25519 ? Algorithm::ed25519_sha256
                                                                       : Algorithm::rsa_sha256;
    k.pem = std::move(*pem);
    return k;
}

Result<KeyPair> generate_key(Algorithm algorithm, unsigned bits) {
    Pkey key(algorithm == Algorithm::ed25519_sha256
                 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                 : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
    if (!key)
        return fail(temp("4.3.0", "unable to make a key pair"));
    auto txt = txt_of(key.get());
    if (!txt)
        return fail(txt.error());
    KeyPair pair{pem_of(key.get()), std::move(*txt)};
    if (pair.private_pem.empty())
        return fail(temp("4.3.0", "unable to write the private key"));
    return pair;
}

Result<std::string> txt_record(const SigningKey& key) {
    auto k = read_pem(key.pem, key.domain + "/" + key.selector);
    if (!k)
        return fail(k.error());
    return txt_of(k->get());
}

} // namespace qm::dkim

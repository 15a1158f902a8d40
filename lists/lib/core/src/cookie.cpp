#include "qm/lists/core/cookie.hpp"

#include "qm/lists/core/listdir.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace qm::lists {

namespace {
constexpr size_t cookie_length = 20;
} // namespace

Result<std::string> read_list_key(const std::string& dir) {
    auto key = read_file(dir, "key");
    if (!key)
        return fail(key.error());
    if (!*key || (*key)->empty())
        return fail(temp("4.3.0",
                         dir + "/key is missing or empty: the list has no secret for its cookies"));
    return std::move(**key);
}

std::string make_cookie(std::string_view key, CookieScope scope, std::time_t when,
                        std::string_view subject, CookieAction action) {
    // NUL separators keep the fields apart: no choice of subject can make two different
    // (time, subject, action) triples hash the same input.
    std::string input;
    input += static_cast<char>(scope);
    input += '\0';
    input += std::to_string(static_cast<long long>(when));
    input += '\0';
    input += subject;
    input += '\0';
    input += static_cast<char>(action);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(), &mac_len);
    std::string cookie(cookie_length, 'a');
    for (size_t i = 0; i < cookie_length; ++i)
        cookie[i] = static_cast<char>('a' + (mac[i] & 15));
    return cookie;
}

std::string cookie_subject(std::string_view address) {
    std::string s(address);
    auto at = s.rfind('@');
    if (at != std::string::npos)
        std::transform(s.begin() + static_cast<std::ptrdiff_t>(at), s.end(),
                       s.begin() + static_cast<std::ptrdiff_t>(at),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

CookieVerdict check_cookie(std::string_view key, CookieScope scope, std::time_t when,
                           std::string_view subject, CookieAction action, std::string_view cookie,
                           std::time_t now, std::time_t max_age) {
    if (when > now)
        return CookieVerdict::from_the_future;
    const std::string expected = make_cookie(key, scope, when, subject, action);
    if (cookie.size() != expected.size() ||
        CRYPTO_memcmp(cookie.data(), expected.data(), expected.size()) != 0)
        return CookieVerdict::forged;
    if (now - when > max_age)
        return CookieVerdict::expired;
    return CookieVerdict::valid;
}

} // namespace qm::lists

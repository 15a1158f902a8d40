#include "qm/lists/core/ezmlm7_cookie.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/listdir.hpp"

#include <openssl/crypto.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>

namespace qm::lists {

namespace {

using Word = std::uint32_t;

constexpr size_t cookie_letters = 20;

Word rotate_left(Word x, int bits) {
    return (x << bits) | (x >> (32 - bits));
}

// SURF: 384 bits in, 256 bits out, under a 1024-bit seed (seed words 0-11 key the
// rounds, 12-23 whiten the input, 24-31 the output).
std::array<Word, 8> surf(const std::array<Word, 12>& in, const std::array<Word, 32>& seed) {
    static constexpr std::array<int, 4> rotations{5, 7, 9, 13};
    std::array<Word, 12> t{};
    for (size_t i = 0; i < t.size(); ++i)
        t[i] = in[i] ^ seed[12 + i];
    std::array<Word, 8> out{};
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = seed[24 + i];
    Word x = t[11];
    Word sum = 0;
    for (int pass = 0; pass < 2; ++pass) {
        for (int round = 0; round < 16; ++round) {
            sum += 0x9e3779b9U;
            for (size_t i = 0; i < t.size(); ++i) {
                t[i] += ((x ^ seed[i]) + sum) ^ rotate_left(x, rotations[i % 4]);
                x = t[i];
            }
        }
        for (size_t i = 0; i < out.size(); ++i)
            out[i] ^= t[i + 4];
    }
    return out;
}

// SURF as a protected counter sum: input in 32-byte blocks (little-endian words 0-7 of
// SURF's input, a 128-bit block counter in words 8-11), the outputs summed word by word;
// the sum, after a "." and NUL padding, goes through SURF once more.
class SurfPcs {
public:
    explicit SurfPcs(const std::array<Word, 32>& seed)
        : seed_(seed) {}

    void add(std::string_view bytes) {
        for (char c : bytes)
            add_byte(static_cast<unsigned char>(c));
    }

    std::array<unsigned char, 32> finish() {
        add_byte('.');
        while (filled_ != 0)
            add_byte(0);
        std::array<Word, 12> last{};
        for (size_t i = 0; i < sum_.size(); ++i)
            last[i] = sum_[i];
        const auto out = surf(last, seed_);
        std::array<unsigned char, 32> bytes{};
        for (size_t i = 0; i < bytes.size(); ++i)
            bytes[i] = static_cast<unsigned char>(out[i / 4] >> (8 * (i % 4)));
        return bytes;
    }

private:
    void add_byte(unsigned char c) {
        const size_t word = filled_ / 4;
        const int shift = static_cast<int>(8 * (filled_ % 4));
        in_[word] = (in_[word] & ~(Word{0xff} << shift)) | (Word{c} << shift);
        if (++filled_ < 32)
            return;
        filled_ = 0;
        for (size_t i = 8; i < 12 && ++in_[i] == 0; ++i) {
        }
        const auto out = surf(in_, seed_);
        for (size_t i = 0; i < sum_.size(); ++i)
            sum_[i] += out[i];
    }

    std::array<Word, 32> seed_;
    std::array<Word, 12> in_{};
    std::array<Word, 8> sum_{};
    size_t filled_ = 0;
};

// 7.x folds the key into a seed by four chained passes, each shifting a byte of the
// previous pass's output into every seed word.
std::array<Word, 32> seed_from_key(std::string_view key) {
    std::array<Word, 32> seed{};
    for (int pass = 0; pass < 4; ++pass) {
        SurfPcs s(seed);
        s.add(key);
        const auto out = s.finish();
        for (size_t i = 0; i < seed.size(); ++i)
            seed[i] = (seed[i] << 8) + out[i];
    }
    return seed;
}

} // namespace

std::string ezmlm7_cookie(std::string_view key, std::string_view date, std::string_view address,
                          std::string_view action) {
    SurfPcs s(seed_from_key(key));
    s.add(date);
    s.add(std::string_view("\0", 1));
    s.add(address);
    s.add(std::string_view("\0", 1));
    // One letter; with none, the string's terminating NUL is what 7.x adds.
    s.add(action.empty() ? std::string_view("\0", 1) : action.substr(0, 1));
    const auto out = s.finish();
    std::string cookie(cookie_letters, 'a');
    for (size_t i = 0; i < cookie_letters; ++i)
        cookie[i] = static_cast<char>('a' + (out[i] & 15));
    return cookie;
}

std::string_view ezmlm7_scope_key(std::string_view key, CookieScope scope) {
    size_t drop = 0;
    switch (scope) {
    case CookieScope::main:
        drop = 0;
        break;
    case CookieScope::digest:
        drop = 1;
        break;
    case CookieScope::allow:
        drop = 2;
        break;
    case CookieScope::deny:
        drop = 3;
        break;
    }
    return key.substr(0, key.size() >= drop ? key.size() - drop : 0);
}

bool ezmlm7_cookie_matches(std::string_view key, std::string_view date, std::string_view address,
                           std::string_view action, std::string_view cookie) {
    const std::string expected = ezmlm7_cookie(key, date, address, action);
    return cookie.size() == expected.size() &&
           CRYPTO_memcmp(cookie.data(), expected.data(), expected.size()) == 0;
}

CookieVerdict check_ezmlm7_cookie(std::string_view key, CookieScope scope, std::time_t when,
                                  std::string_view address, CookieAction action,
                                  std::string_view cookie, std::time_t now, std::time_t max_age) {
    if (when > now)
        return CookieVerdict::from_the_future;
    const char letter = static_cast<char>(action);
    if (!ezmlm7_cookie_matches(ezmlm7_scope_key(key, scope),
                               std::to_string(static_cast<long long>(when)), address,
                               std::string_view(&letter, 1), cookie))
        return CookieVerdict::forged;
    if (now - when > max_age)
        return CookieVerdict::expired;
    return CookieVerdict::valid;
}

namespace {
constexpr const char* window_file = "ezmlm7cookies";
}

Result<std::optional<std::time_t>> read_ezmlm7_window(const std::string& dir) {
    auto text = read_setting(dir, window_file);
    if (!text)
        return fail(text.error());
    if (!*text)
        return std::optional<std::time_t>{};
    const std::string& line = **text;
    long long until = 0;
    auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), until);
    if (error != std::errc{} || end != line.data() + line.size() || until < 0)
        // Temporary: the mail waits in the queue until the admin mends the file.
        return fail(temp("4.3.5", dir + "/" + window_file +
                                      " is not a Unix time (the end of the window in which "
                                      "ezmlm-idx 7's cookies are accepted)"));
    return std::optional<std::time_t>(static_cast<std::time_t>(until));
}

Result<std::optional<std::string>> ezmlm7_key_if_open(const std::string& dir, std::time_t now) {
    auto until = read_ezmlm7_window(dir);
    if (!until)
        return fail(until.error());
    if (!*until || now > **until)
        return std::optional<std::string>{};
    auto key = read_list_key(dir);
    if (!key)
        return fail(key.error());
    return std::optional<std::string>(std::move(*key));
}

Status set_ezmlm7_window(const std::string& dir, std::optional<std::time_t> until) {
    const std::string path = dir + "/" + window_file;
    if (until) {
        if (auto w = write_file_atomic(path, std::to_string(static_cast<long long>(*until)) + "\n");
            !w)
            return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
        return {};
    }
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT)
            return {};
        return fail(from_errno(errno, "unable to remove " + path));
    }
    return fsync_dir(dir);
}

} // namespace qm::lists

// Fuzzes the pieces of ezmlm's command addresses that arrive in $DEFAULT from anyone on
// the network: the box=domain target (decode_target, encode_target), the T.COOKIE part
// (parse_confirmation, format_confirmation, check_cookie) and a held post's name
// (parse_held_name); and the subscriber store's reading of an address to (un)subscribe
// (normalise_address, the file it is filed in). Properties: a decoded target is one address with
// exactly one '@', no control byte or space, that encodes back to its input; a parsed confirmation
// and a held name format to text that parses to the same value; a cookie is valid only when it is
// the one make_cookie gives for the same facts, and never once it has expired; a normalised address
// has an '@', no NUL or newline, at most 400 bytes, normalises to itself and is filed in one of the
// 53 files '@' to 't'.
#include "fuzz_check.hpp"
#include "qm/lists/core/command_address.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/moderate/moderation.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    using namespace qm::lists;
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    if (auto a = decode_target(in)) {
        QM_FUZZ_CHECK(std::count(a->begin(), a->end(), '@') == 1);
        QM_FUZZ_CHECK(std::none_of(a->begin(), a->end(), [](char c) {
            return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
        }));
        QM_FUZZ_CHECK(encode_target(*a) == in);
        QM_FUZZ_CHECK(decode_target(encode_target(*a)) == a);
    }

    if (auto c = parse_confirmation(in)) {
        QM_FUZZ_CHECK(c->cookie.size() == 20);
        QM_FUZZ_CHECK(c->when >= 0);
        const std::string text = format_confirmation(*c);
        auto again = parse_confirmation(text);
        QM_FUZZ_CHECK(again && again->when == c->when && again->cookie == c->cookie);

        // The input's cookie against facts taken from the input: valid only if it is the
        // cookie make_cookie computes, and never past its lifetime.
        const std::string key = "fuzz-list-key";
        const std::string subject = cookie_subject("joe@Far.Example");
        const std::time_t now = c->when + static_cast<std::time_t>(size) * 1000;
        const auto v =
            check_cookie(key, CookieScope::main, c->when, subject, CookieAction::subscribe_confirm,
                         c->cookie, now, subscription_cookie_lifetime);
        const std::string real =
            make_cookie(key, CookieScope::main, c->when, subject, CookieAction::subscribe_confirm);
        QM_FUZZ_CHECK(real.size() == 20);
        if (v == CookieVerdict::valid) {
            QM_FUZZ_CHECK(real == c->cookie);
            QM_FUZZ_CHECK(now - c->when <= subscription_cookie_lifetime);
        }
        QM_FUZZ_CHECK(check_cookie(key, CookieScope::main, c->when, subject,
                                   CookieAction::subscribe_confirm, real, c->when + 1,
                                   subscription_cookie_lifetime) == CookieVerdict::valid ||
                      c->when > std::numeric_limits<std::time_t>::max() - 2);
        // Another scope or action never accepts it.
        QM_FUZZ_CHECK(check_cookie(key, CookieScope::digest, c->when, subject,
                                   CookieAction::subscribe_confirm, real, c->when + 1,
                                   subscription_cookie_lifetime) != CookieVerdict::valid);
        QM_FUZZ_CHECK(check_cookie(key, CookieScope::main, c->when, subject,
                                   CookieAction::unsubscribe_confirm, real, c->when + 1,
                                   subscription_cookie_lifetime) != CookieVerdict::valid);
    }

    if (auto n = normalise_address(in)) {
        QM_FUZZ_CHECK(n->size() == in.size() && n->size() <= max_address);
        QM_FUZZ_CHECK(n->find('@') != std::string::npos);
        QM_FUZZ_CHECK(n->find_first_of(std::string_view("\0\n", 2)) == std::string::npos);
        auto again = normalise_address(*n);
        QM_FUZZ_CHECK(again && *again == *n);
        const char f = subscriber_file(*n);
        QM_FUZZ_CHECK(f >= '@' && f <= 't');
        QM_FUZZ_CHECK(subhash32(*n) < subscriber_files && subhash64(*n) < subscriber_files);
    } else {
        QM_FUZZ_CHECK(n.error().severity == qm::Severity::permanent);
    }

    if (auto h = parse_held_name(in)) {
        auto again = parse_held_name(h->text());
        QM_FUZZ_CHECK(again && again->when == h->when && again->pid == h->pid);
    }
    return 0;
}

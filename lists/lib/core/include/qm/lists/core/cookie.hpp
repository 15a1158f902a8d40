// Confirmation cookies: the 20 letters a-p in command addresses such as
// list-sc.1700000000.kpjgaoohbkefgcnmdjlb-joe=far.example@host (ezmlm's layout, see
// reference lists.md 1.6). A cookie binds a time, an address and an action to the
// list's secret dir/key, so only someone who received the list's mail for that address
// can answer it. ezmlm computes it with SURF-PCS; we use HMAC-SHA256 from OpenSSL
// instead (same 80 bits, same alphabet and address shape). So that a list moved over
// from ezmlm-idx 7 loses none of the confirmations in flight, 7.x's are also accepted
// for a migration window (ezmlm7_cookie.hpp); we issue only ours.
#pragma once

#include "qm/result.hpp"

#include <ctime>
#include <string>
#include <string_view>

namespace qm::lists {

// What a cookie authorises; the letters are ezmlm's action codes.
enum class CookieAction : char {
    subscribe_confirm = 's',     // list-sc: the target confirms a subscription
    subscribe_moderate = 't',    // list-tc: a moderator approves it
    subscribe_remote = 'r',      // list-rc: a remote admin confirms its own request
    unsubscribe_confirm = 'u',   // list-uc
    unsubscribe_moderate = 'v',  // list-vc
    unsubscribe_remote = 'w',    // list-wc
    bounce_warning = 'W',        // list-return-warn-
    bounce_probe = 'P',          // list-return-probe-
    moderate_post = 'a',         // list-accept-/list-reject-
    confirm_post = 'c',          // list-confirm-/list-discard-
    edit_text = 'e',             // list-ed.
    one_click_unsubscribe = 'o', // RFC 8058 List-Unsubscribe-Post URL
};

// Which database of the list a command is about (ezmlm's digest-, allow-, deny-
// prefixes): a cookie for one never works for another.
enum class CookieScope : char { main = 'm', digest = 'd', allow = 'a', deny = 'x' };

// dir/key: the per-list secret ezmlm-make writes. A missing or empty key is a temporary
// failure (a list without a secret must not hand out guessable cookies).
[[nodiscard]] Result<std::string> read_list_key(const std::string& dir);

// The 20-letter cookie for (when, subject, action). subject is usually the target
// address with its domain lower-cased (see cookie_subject); for a held post it is the
// post's file name.
[[nodiscard]] std::string make_cookie(std::string_view key, CookieScope scope, std::time_t when,
                                      std::string_view subject, CookieAction action);

// "box@Domain" -> "box@domain": the form cookies are computed over, so that answering
// with the domain in another case still works while another local part does not.
[[nodiscard]] std::string cookie_subject(std::string_view address);

enum class CookieVerdict { valid, forged, expired, from_the_future };
// Checks a cookie received at now. It is valid for max_age seconds after when (ezmlm:
// 1,000,000 s for subscription cookies, 3,000,000 s for bounce probes); a time after
// now is refused. The comparison takes constant time.
[[nodiscard]] CookieVerdict check_cookie(std::string_view key, CookieScope scope, std::time_t when,
                                         std::string_view subject, CookieAction action,
                                         std::string_view cookie, std::time_t now,
                                         std::time_t max_age);

// ezmlm's lifetimes.
inline constexpr std::time_t subscription_cookie_lifetime = 1'000'000;
inline constexpr std::time_t bounce_cookie_lifetime = 3'000'000;
inline constexpr std::time_t edit_cookie_lifetime = 100'000;

} // namespace qm::lists

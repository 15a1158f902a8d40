// RFC 8058 one-click unsubscription. A list with dir/unsubscribeurl (an https base URL,
// e.g. https://lists.example/team) gets, in every copy ezmlm-send queues,
//   List-Unsubscribe: <BASE/unsubscribe/TOKEN>, <mailto:list-unsubscribe@host>
//   List-Unsubscribe-Post: List-Unsubscribe=One-Click
// where TOKEN names the recipient and carries a cookie for it (CookieAction
// one_click_unsubscribe), so the link works for that one address only. The web archive
// serves BASE/unsubscribe/TOKEN with one_click_unsubscribe(): a POST whose body is
// List-Unsubscribe=One-Click unsubscribes at once (what mail clients send); anything else,
// a GET above all, only verifies the token, since link scanners and previews fetch every
// URL in a message and must never unsubscribe anyone.
#pragma once

#include "qm/lists/core/cookie.hpp"
#include "qm/result.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

// Longer than a confirmation's 11.6 days: people unsubscribe from old mail. After this
// the link is refused and the mailto: address still works.
inline constexpr std::time_t one_click_cookie_lifetime = 90 * 86'400;

// "T.COOKIE-box=domain" (the shape of the mail confirmations), percent-encoded so that it
// is one URL path segment.
[[nodiscard]] std::string one_click_token(std::string_view key, CookieScope scope, std::time_t when,
                                          std::string_view address);
// base (without a trailing '/') + "/unsubscribe/" + token.
[[nodiscard]] std::string one_click_url(std::string_view base, std::string_view token);

// Percent-encoding of everything but ALPHA, DIGIT and "-._~=+@" (RFC 3986 unreserved plus
// the characters box=domain needs), and its inverse ("+" stays "+"; nullopt for a bad %XX
// or a NUL, which no token, address or Message-ID holds: the web archive decodes URLs with it).
[[nodiscard]] std::string percent_encode(std::string_view text);
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text);

enum class OneClickOutcome {
    confirm_needed, // valid token, nothing changed: show a page with a POST button
    unsubscribed,   // POST: the address was removed (now, or by a one-click POST before
                    // that was its last change: a client's retry)
    not_subscribed, // POST: valid, but the address was not (or no longer) subscribed
    bad_token,      // forged, expired, malformed: nothing changed
};
struct OneClickResult {
    OneClickOutcome outcome = OneClickOutcome::bad_token;
    std::string address; // the token's address when the token was valid
};

// dir: the list directory; scope: which database the link is for. method: the HTTP
// method; body: the request body (application/x-www-form-urlencoded). Only a POST whose
// body holds the pair List-Unsubscribe=One-Click changes anything; the change is logged
// in Log as "-" with the comment "one-click". Repeating such a POST is harmless: while the
// address's last Log line is that one, it reports unsubscribed again and writes nothing
// (no Log line, no mail: one-click unsubscription sends none). Failures of the store are
// temporary.
[[nodiscard]] Result<OneClickResult>
one_click_unsubscribe(const std::string& dir, CookieScope scope, std::string_view method,
                      std::string_view token, std::string_view body, std::time_t now);

} // namespace qm::lists

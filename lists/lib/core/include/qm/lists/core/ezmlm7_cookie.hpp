// ezmlm-idx 7's cookies, read so that nothing in flight is lost when a list moves over.
//
// ezmlm-idx 7 computes its cookies with SURF-PCS (Bernstein's SURF, as a protected
// counter sum) over "date\0address\0" and one action letter, seeded from the list's
// dir/key; ours are HMAC-SHA256 (cookie.hpp). A list taken over by `ezmlm-make -e` has
// confirmation requests, moderation requests and bounce warnings out that carry 7.x's
// cookies. For a migration window, an admin switch in the list directory, our programs
// accept those too; they never issue one. The window is the file dir/ezmlm7cookies:
// one line, the Unix time until which 7.x cookies are accepted. No file (or a time in
// the past) means none are. `ezmlm-make -e` opens it when it takes over a list made by
// ezmlm-idx (for the longest 7.x cookie lifetime, bounce_cookie_lifetime);
// `ezmlm-make -e --ezmlm7-cookies=WHEN` sets or clears it.
//
// The same function with an empty key names a subscriber's bounce history
// (bounce/h/, bounce_store.hpp): that name is not a secret, and is always 7.x's.
#pragma once

#include "qm/lists/core/cookie.hpp"
#include "qm/result.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace qm::lists {

// 7.x's 20-letter cookie: key is dir/key as the file holds it (newline included), date
// the text 7.x put in the address (a Unix time, or "T.P" for a held post), address the
// target ("" for held posts), action one letter (or none: the bounce-history name).
[[nodiscard]] std::string ezmlm7_cookie(std::string_view key, std::string_view date,
                                        std::string_view address, std::string_view action);

// 7.x keeps its databases' cookies apart by dropping the key's last 0 (main), 1 (digest),
// 2 (allow) or 3 (deny) bytes.
[[nodiscard]] std::string_view ezmlm7_scope_key(std::string_view key, CookieScope scope);

// Whether cookie is 7.x's for these inputs; constant time.
[[nodiscard]] bool ezmlm7_cookie_matches(std::string_view key, std::string_view date,
                                         std::string_view address, std::string_view action,
                                         std::string_view cookie);

// check_cookie (cookie.hpp) for a 7.x cookie: the same verdicts, so an expired 7.x cookie
// gets the answer an expired one of ours gets. address is the target as the command
// address carried it (7.x does not change its case).
[[nodiscard]] CookieVerdict check_ezmlm7_cookie(std::string_view key, CookieScope scope,
                                                std::time_t when, std::string_view address,
                                                CookieAction action, std::string_view cookie,
                                                std::time_t now, std::time_t max_age);

// dir/ezmlm7cookies: the end of the migration window, nullopt when there is none. A file
// that is not one Unix time is a temporary error naming it (an admin typed it; the mail
// that needs it waits until it is mended).
[[nodiscard]] Result<std::optional<std::time_t>> read_ezmlm7_window(const std::string& dir);

// The list's key when the window is open at now, else nullopt: what the checks take.
[[nodiscard]] Result<std::optional<std::string>> ezmlm7_key_if_open(const std::string& dir,
                                                                    std::time_t now);

// Opens the window until `until` (fsynced), or closes it (nullopt: the file goes).
[[nodiscard]] Status set_ezmlm7_window(const std::string& dir, std::optional<std::time_t> until);

} // namespace qm::lists

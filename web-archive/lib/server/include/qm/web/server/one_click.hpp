// RFC 8058 one-click unsubscription on the web: the page at /LIST/unsubscribe/TOKEN,
// the URL ezmlm-send puts in every subscriber's List-Unsubscribe when the list's
// dir/unsubscribeurl is this server's ORIGIN/LIST (lists/lib/manage/one_click.hpp, which
// checks the token and changes the subscribers).
//
// - POST with the form field List-Unsubscribe=One-Click (application/x-www-form-urlencoded
//   or multipart/form-data, RFC 8058 section 3.1) unsubscribes the token's address and
//   answers a short page; a repeated POST gets the same answer.
// - GET (and HEAD) change nothing: mail scanners and previews fetch every link in a
//   message. The page shows a button, a form that POSTs the same field.
// - A forged, malformed or expired (90 days) token is refused with 403 and changes
//   nothing; the page points to the list's -unsubscribe address instead.
//
// The token authorises the request, not the browser: no cookie, no Origin check (mail
// providers POST from their own servers, RFC 8058 section 3.2). Unsubscribing writes the
// list's subscriber files and Log, and the token is checked with dir/key (mode 0600):
// the server must run as the list's owner. Otherwise the store fails, the answer is a
// 503 page saying to use the mail address, and the failure is logged on stderr.
#pragma once

#include "qm/web/server/site.hpp"

#include <string>
#include <string_view>

namespace qm::web::server {

[[nodiscard]] Response one_click_page(const std::string& dir, std::string_view list,
                                      std::string_view token, const Request& request);

} // namespace qm::web::server

// Private archives: an archived list whose archive is not open to all (config.hpp's
// list_is_public: no "public" flag, or ezmlm-make -b or -g) is read after logging in with
// a link mailed to the reader's address.
//
// Without a session, every page of such a list (front page, search, new.atom, messages,
// raw, threads, attachments, and whatever page comes later) answers the same login page
// with 403, before the list's index is opened or a Message-ID looked up. A stranger
// learns that a list of that name exists (an unknown name is a 404) and nothing more: not
// whether a message exists, not the list's address, not who is subscribed.
//
//   GET  /LIST/_/login        the form: one address field
//   POST /LIST/_/login        the same answer whatever the address ("if it may read this
//                             archive, a link is on its way"); after the answer is sent
//                             (Response::deferred, so no timing tells either), a
//                             subscriber of the list or its digest, or a moderator, gets a
//                             link mailed through qmail-queue (at most
//                             login_mails_per_window an hour per address)
//   GET  /LIST/_/login/TOKEN  a "log in" button: a mail scanner fetching the link
//                             spends nothing
//   POST /LIST/_/login/TOKEN  spends the link (one-time, login_link_lifetime, for this
//                             list only) and starts a session: a cookie "session"
//                             ("__Host-session" under https) with HttpOnly, SameSite=Lax,
//                             Path=/ (Secure under https), then 303 to /LIST/
//   GET  /LIST/_/logout       a "log out" button; its POST ends the session
//
// A session proves the address; each request checks again that the address may read the
// list asked for (may_read), so an unsubscribed reader loses access at once and a
// moderator reads every list they moderate with one login. Forms must come from the site
// itself (forms.hpp: the Origin field), and every answer carries Cache-Control: private,
// no-store.
//
// Reading subscriber databases takes their lock files and files (subscribers/ is 0700):
// the server must run as the lists' owner. Otherwise the lookups fail, a logged-in reader
// gets a 503 page, a login request mails nothing, and both are logged on stderr.
#pragma once

#include "qm/result.hpp"
#include "qm/web/server/config.hpp"
#include "qm/web/server/route.hpp"
#include "qm/web/server/site.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace qm::web::server {

class LoginStore;

// The answer to route (a page of the private list in dir): the account pages above, or
// serve()'s page when the request carries a session whose address may read the list.
// Without a store (no --state) or for a list without an archive: 404.
[[nodiscard]] Response private_page(LoginStore* logins, const Config& config, const Route& route,
                                    const std::string& dir, const Request& request,
                                    const std::function<Response()>& serve);

// Whether address may read the private archive of the list in dir: a moderator (the
// database moderator_db names) always; a subscriber of the list or of its digest unless
// the archive is for moderators only (ezmlm-make -b, "modgetonly", as ezmlm-get reads it).
[[nodiscard]] Result<bool> may_read(const std::string& dir, std::string_view address);

// The session cookie's name: "__Host-session" when the site is https (the browser then
// takes it only with Secure, Path=/ and no Domain), else "session".
[[nodiscard]] std::string session_cookie_name(const Config& config);

} // namespace qm::web::server

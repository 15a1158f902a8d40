// URLs of the archive, in public-inbox's scheme (https://public-inbox.org/meta/ shows it):
//   /                      the lists
//   /style.css             the one style sheet (the CSP allows styles from 'self' only)
//   /LIST/                 a list's latest threads; ?q=... searches, ?p=N is page N
//   /LIST/new.atom         the latest messages as an Atom feed
//   /LIST/MSGID/           a message
//   /LIST/MSGID/raw        the message as archived
//   /LIST/MSGID/t/, T/     its thread, nested
//   /LIST/MSGID/N-NAME     its attachment number N (NAME is only for the browser)
//   /LIST/unsubscribe/TOKEN  RFC 8058 one-click unsubscription (one_click.hpp): the URL
//                          ezmlm-send puts in List-Unsubscribe when dir/unsubscribeurl
//                          is ORIGIN/LIST; GET shows a button, POST unsubscribes
//   /LIST/_/login          a private archive's login form (login.hpp); POST mails a link
//   /LIST/_/login/TOKEN    the mailed link: GET shows a button, POST starts a session
//   /LIST/_/logout         GET shows a button, POST ends the session
// "_" and "unsubscribe" are never Message-IDs here (a Message-ID has an "@"; one
// without is shadowed only for these two words).
// A Message-ID is one path segment, percent-encoded ("/" as %2F). Paths are parsed into a
// Route and nothing else: a list name is only ever looked up in the configured map and a
// Message-ID only in the index, so no part of a URL ever becomes a file name.
#pragma once

#include <string>
#include <string_view>

namespace qm::web::server {

enum class Page {
    lists,
    style,
    list, // front page or search
    atom,
    message,
    raw,
    thread,
    attachment,
    unsubscribe, // token: the raw (still percent-encoded) segment, as ezmlm-send wrote it
    login,       // POST: the address form
    login_link,  // token: the mailed one-time token
    logout,
    redirect, // to location (a path without its trailing "/")
    not_found,
};

struct Route {
    Page page = Page::not_found;
    std::string list;
    std::string message_id;
    unsigned part = 0;         // attachment
    std::string query;         // ?q=
    unsigned long page_no = 1; // ?p=, from 1
    std::string location;      // redirect
    std::string token;         // unsubscribe, login_link
};

[[nodiscard]] Route route(std::string_view target);
// The pages that answer POST (forms; RFC 8058's POST); every other page answers GET and
// HEAD only.
[[nodiscard]] bool takes_post(Page page);

// The value of name in an application/x-www-form-urlencoded text (a query string, a
// form's body): "+" as a space, %XX decoded; "" when absent or badly encoded.
[[nodiscard]] std::string form_value(std::string_view form, std::string_view name);
// s as one path segment: every byte outside RFC 3986's unreserved set and "@" as %XX.
[[nodiscard]] std::string encode_segment(std::string_view s);
// s as a query value (application/x-www-form-urlencoded: space as "+").
[[nodiscard]] std::string encode_query_value(std::string_view s);

} // namespace qm::web::server

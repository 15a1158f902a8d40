// URLs of the archive, in public-inbox's scheme (https://public-inbox.org/meta/ shows it):
//   /                      the lists
//   /style.css             the one style sheet (the CSP allows styles from 'self' only)
//   /LIST/                 a list's latest threads; ?q=... searches, ?p=N is page N,
//                          &r sorts by relevance, &x=m downloads the matches as mbox.gz
//   /LIST/new.atom         the latest messages as an Atom feed
//   /LIST/MSGID/           a message
//   /LIST/MSGID/raw        the message as archived
//   /LIST/MSGID/t/, T/     its thread, nested
//   /LIST/MSGID/t.mbox.gz  its thread as a gzipped mbox
//   /LIST/MSGID/N-NAME     its attachment number N (NAME is only for the browser)
//   /LIST/YYYY/MM/         the threads of a month (HyperKitty's URL); mbox.gz under it
//   /LIST/_/months/        the months, with their numbers of messages
//   /LIST/_/authors/       the authors by number of messages; _/authors/N/ one author's
//                          messages, N the number of their first (no address in URLs)
//   /LIST/_/N/...          message N when it has no Message-ID, with the pages above
// A Message-ID is one path segment, percent-encoded ("/" as %2F), and any segment can be
// one (a Message-ID is any run of non-blank bytes), so the other pages cannot take the
// second segment alone: they have a third that no message page has. A message's pages
// end in "", "raw", "t", "T", "t.mbox.gz" or "N-NAME" (digits, a dash); a month's third
// segment is two digits, the other pages' "months", "authors" or a number, never one of
// those. So /LIST/2026/03/ is March 2026 even if a message's ID is "2026" (its page is
// /LIST/2026/), and messages without an ID are numbered under "_", where a message whose
// ID is "_" keeps /LIST/_/ and its sub-pages. new.atom is public-inbox's name and the one
// exception (a message whose ID is "new.atom" has no page but its thread's).
//   /LIST/unsubscribe/TOKEN  RFC 8058 one-click unsubscription (one_click.hpp): the URL
//                          ezmlm-send puts in List-Unsubscribe when dir/unsubscribeurl
//                          is ORIGIN/LIST; GET shows a button, POST unsubscribes
//   /LIST/_/login          a private archive's login form (login.hpp); POST mails a link
//   /LIST/_/login/TOKEN    the mailed link: GET shows a button, POST starts a session
//   /LIST/_/logout         GET shows a button, POST ends the session
// "unsubscribe" as a second segment, and "login"/"logout" as the third after "_", are
// never a message's pages here: a Message-ID has an "@", and one without is shadowed only
// for these words.
//
// Paths are parsed into a Route and nothing else: a list name is only ever looked up in
// the configured map and a Message-ID only in the index, so no part of a URL ever
// becomes a file name.
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
    thread_mbox,
    months,
    month,
    month_mbox,
    authors,
    author,
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
    std::string message_id;    // "" with msgnum for a message without one
    unsigned long msgnum = 0;  // /LIST/_/N/: message N, which has no Message-ID
    unsigned part = 0;         // attachment
    int year = 0;              // month, month_mbox
    unsigned month = 0;        // 1 to 12
    unsigned long author = 0;  // author: the number of their first message
    bool relevance = false;    // &r: search results best first
    bool mbox = false;         // &x=m: search results as mbox.gz
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

// URLs of the archive, in public-inbox's scheme (https://public-inbox.org/meta/ shows it):
//   /                      the lists
//   /style.css             the one style sheet (the CSP allows styles from 'self' only)
//   /LIST/                 a list's latest threads; ?q=... searches, ?p=N is page N
//   /LIST/new.atom         the latest messages as an Atom feed
//   /LIST/MSGID/           a message
//   /LIST/MSGID/raw        the message as archived
//   /LIST/MSGID/t/, T/     its thread, nested
//   /LIST/MSGID/N-NAME     its attachment number N (NAME is only for the browser)
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
};

[[nodiscard]] Route route(std::string_view target);

// s as one path segment: every byte outside RFC 3986's unreserved set and "@" as %XX.
[[nodiscard]] std::string encode_segment(std::string_view s);
// s as a query value (application/x-www-form-urlencoded: space as "+").
[[nodiscard]] std::string encode_query_value(std::string_view s);

} // namespace qm::web::server

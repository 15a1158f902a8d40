// What the pages share (defined in site.cpp, used by the pages in browse.cpp and
// mbox.cpp): the HTML frame, dates, links, caching. Private to the library.
#pragma once

#include "archive.hpp"
#include "qm/web/server/site.hpp"

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>

namespace qm::web::server {

inline constexpr unsigned long per_page = 25;

// The segment that starts the URLs of pages that are not a message's
// (/LIST/_/months/, /LIST/_/authors/) and of messages without a Message-ID
// (/LIST/_/N/): route.hpp says why none of them can be a message's URL.
inline constexpr std::string_view no_id_segment = "_";

// "2026-03-02 10:00 UTC", "(no date)" for 0.
[[nodiscard]] std::string date_text(std::int64_t t);
[[nodiscard]] std::string subject_text(std::string_view s);
// The sender's name (obfuscated) or else obfuscated address, escaped.
[[nodiscard]] std::string author_html(const MessageRow& r);
// A whole page: title, the list's link in the header, content.
[[nodiscard]] std::string page(std::string_view title, std::string_view list,
                               std::string_view content, std::string_view head = "",
                               std::string_view referrer = "no-referrer");
[[nodiscard]] Response html(std::string body, int status = 200);
// ETag of the body, Last-Modified of modified (0: none), 304 when the client has it.
[[nodiscard]] Response cacheable(Response r, const Request& req, std::time_t modified);
// /LIST/MSGID/, or /LIST/_/N/ for message N when it has no Message-ID (id "").
[[nodiscard]] std::string message_href(std::string_view list, std::string_view id,
                                       unsigned long msgnum);
[[nodiscard]] std::string message_href(std::string_view list, const MessageRow& row);
// The most messages one mbox download holds, and the most bytes (as archived): the
// download is built in memory, so these bound what a request costs (times the pool's
// threads for all of them at once). The pages that link to one say so.
inline constexpr size_t mbox_messages = 1000;
inline constexpr size_t mbox_bytes = 16u << 20;

// "newer" and "older" links: base is a URL ending in "?" or "&", to which "p=N" goes.
[[nodiscard]] std::string page_links(std::string_view base, unsigned long page_no, bool more);

// [first second of the month, first second of the next) in UTC.
[[nodiscard]] std::pair<std::int64_t, std::int64_t> month_span(int year, unsigned month);

// What a page of one list has at hand.
struct ListPage {
    const Request& request;
    const std::string& list;
    const std::string& dir;
    ListArchive& archive;
};

// browse.cpp
[[nodiscard]] Result<Response> months_page(ListPage& lp);
[[nodiscard]] Result<Response> month_page(ListPage& lp, int year, unsigned month,
                                          unsigned long page_no);
[[nodiscard]] Result<Response> authors_page(ListPage& lp, unsigned long page_no);
[[nodiscard]] Result<Response> author_page(ListPage& lp, unsigned long author,
                                           unsigned long page_no);
// mbox.cpp: mboxrd, gzipped, as a download.
[[nodiscard]] Result<Response> thread_mbox(ListPage& lp, const MessageView& m);
[[nodiscard]] Result<Response> month_mbox(ListPage& lp, int year, unsigned month);
[[nodiscard]] Result<Response> search_mbox(ListPage& lp, const std::string& query, bool relevance);

// Content-Disposition: attachment with a cleaned file name.
[[nodiscard]] std::string disposition(std::string_view name, unsigned part);
// A completely archived message file (owner-execute bit set) into out.
[[nodiscard]] bool read_file(const std::string& path, std::string& out, std::time_t& mtime);

} // namespace qm::web::server

// The pages that browse a list other than by its latest threads: its months, a month's
// threads, its authors and one author's messages.
#include "pages.hpp"
#include "qm/web/server/html.hpp"
#include "qm/web/server/route.hpp"

#include <chrono>
#include <cstdio>

namespace qm::web::server {

namespace {

constexpr const char* month_names[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};

std::string two_digits(unsigned n) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02u", n % 100);
    return buf;
}

std::string month_title(int year, unsigned month) {
    return std::string(month_names[(month - 1) % 12]) + " " + std::to_string(year);
}

std::string messages_text(unsigned long n) {
    return std::to_string(n) + (n == 1 ? " message" : " messages");
}

} // namespace

std::pair<std::int64_t, std::int64_t> month_span(int year, unsigned month) {
    using namespace std::chrono;
    const year_month first{std::chrono::year{year}, std::chrono::month{month}};
    const auto start = sys_days{first / 1}.time_since_epoch().count();
    const auto end = sys_days{(first + months{1}) / 1}.time_since_epoch().count();
    return {static_cast<std::int64_t>(start) * 86400, static_cast<std::int64_t>(end) * 86400};
}

std::string page_links(std::string_view base, unsigned long page_no, bool more) {
    std::string nav = "<nav class=\"pages\">";
    if (page_no > 1)
        nav += "<a href=\"" + escape_html(std::string(base) + "p=" + std::to_string(page_no - 1)) +
               "\">newer</a>";
    if (more)
        nav += "<a href=\"" + escape_html(std::string(base) + "p=" + std::to_string(page_no + 1)) +
               "\">older</a>";
    return nav + "</nav>\n";
}

Result<Response> months_page(ListPage& lp) {
    auto months = lp.archive.months();
    if (!months)
        return fail(months.error());
    const std::string base = "/" + encode_segment(lp.list) + "/";
    std::string c = "<h1>" + escape_html(lp.list) + " by month</h1>\n<ul class=\"months\">\n";
    int year = 0;
    for (const auto& m : *months) {
        if (m.year != year) {
            if (year != 0)
                c += "</ul></li>\n";
            year = m.year;
            c += "<li>" + std::to_string(year) + "<ul>\n";
        }
        c += "<li><a href=\"" + base + std::to_string(m.year) + "/" + two_digits(m.month) + "/\">" +
             month_names[(m.month - 1) % 12] + "</a> <span class=\"meta\">" +
             messages_text(m.messages) + "</span></li>\n";
    }
    if (year != 0)
        c += "</ul></li>\n";
    c += "</ul>\n";
    if (months->empty())
        c += "<p>No dated messages.</p>\n";
    return html(page(lp.list + " by month", lp.list, c));
}

Result<Response> month_page(ListPage& lp, int year, unsigned month, unsigned long page_no) {
    const auto [since, until] = month_span(year, month);
    auto threads = lp.archive.threads_between(since, until, (page_no - 1) * per_page, per_page + 1);
    if (!threads)
        return fail(threads.error());
    const bool more = threads->size() > per_page;
    if (more)
        threads->pop_back();
    const std::string base = "/" + encode_segment(lp.list) + "/";
    const std::string here = base + std::to_string(year) + "/" + two_digits(month) + "/";
    const std::string title = month_title(year, month);
    std::string c = "<h1>" + escape_html(lp.list) + ": " + title + "</h1>\n";
    c += "<p class=\"meta\"><a href=\"" + base + "_/months/\">all months</a> · <a href=\"" + here +
         "mbox.gz\">mbox.gz</a> (the month's first " + std::to_string(mbox_messages) +
         " messages)</p>\n<ol class=\"threads\">\n";
    for (const auto& t : *threads) {
        const auto& s = t.summary;
        c += "<li><a href=\"" + message_href(lp.list, s.root_message_id, s.thread.root) + "t/\">" +
             escape_html(subject_text(s.thread.subject)) + "</a><div class=\"meta\">" +
             messages_text(t.in_month) + " this month";
        if (s.thread.messages != t.in_month)
            c += " (" + std::to_string(s.thread.messages) + " in all)";
        c += ", last " + date_text(s.thread.last_date) + "</div></li>\n";
    }
    c += "</ol>\n";
    if (threads->empty())
        c += "<p>No messages.</p>\n";
    c += page_links(here + "?", page_no, more);
    return html(page(lp.list + ": " + title, lp.list, c));
}

Result<Response> authors_page(ListPage& lp, unsigned long page_no) {
    auto authors = lp.archive.authors((page_no - 1) * per_page * 4, per_page * 4 + 1);
    if (!authors)
        return fail(authors.error());
    const bool more = authors->size() > per_page * 4;
    if (more)
        authors->pop_back();
    const std::string base = "/" + encode_segment(lp.list) + "/_/authors/";
    std::string c = "<h1>" + escape_html(lp.list) + ": authors</h1>\n<ol class=\"threads\">\n";
    for (const auto& a : *authors) {
        // Named by the number of their first message: an address in a URL would be one
        // a harvester reads.
        std::string who = a.name.empty() ? "" : escape_html(obfuscate_addresses(a.name)) + " ";
        who += "&lt;" +
               (a.address.empty() ? std::string("no address")
                                  : escape_html(obfuscate_address(a.address))) +
               "&gt;";
        c += "<li><a href=\"" + base + std::to_string(a.first_msgnum) + "/\">" + who +
             "</a> <span class=\"meta\">" + messages_text(a.messages) + ", last " +
             date_text(a.last_date) + "</span></li>\n";
    }
    c += "</ol>\n" + page_links(base + "?", page_no, more);
    return html(page(lp.list + ": authors", lp.list, c));
}

Result<Response> author_page(ListPage& lp, unsigned long author, unsigned long page_no) {
    auto found = lp.archive.author(author, (page_no - 1) * per_page, per_page + 1);
    if (!found)
        return fail(found.error());
    if (!*found)
        return error_page(404);
    auto& [a, rows] = **found;
    const bool more = rows.size() > per_page;
    if (more)
        rows.pop_back();
    const std::string who = a.name.empty() ? escape_html(obfuscate_address(a.address))
                                           : escape_html(obfuscate_addresses(a.name)) + " &lt;" +
                                                 escape_html(obfuscate_address(a.address)) + "&gt;";
    std::string c = "<h1>" + who + "</h1>\n<p class=\"meta\">" + messages_text(a.messages) +
                    " to " + escape_html(lp.list) + " · <a href=\"/" + encode_segment(lp.list) +
                    "/_/authors/\">all authors</a></p>\n<ol class=\"hits\">\n";
    for (const auto& r : rows)
        c += "<li><a href=\"" + message_href(lp.list, r) + "\">" +
             escape_html(subject_text(r.subject)) + "</a><div class=\"meta\">" + date_text(r.date) +
             "</div></li>\n";
    c += "</ol>\n" +
         page_links("/" + encode_segment(lp.list) + "/_/authors/" + std::to_string(author) + "/?",
                    page_no, more);
    return html(page(a.name.empty() ? obfuscate_address(a.address) : obfuscate_addresses(a.name),
                     lp.list, c));
}

} // namespace qm::web::server

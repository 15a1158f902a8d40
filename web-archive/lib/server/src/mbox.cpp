// Downloads as mbox: a thread, a month, a search's matches. mboxrd (every line that
// matches ^>*From  gets one more ">", qmail's gfrom, which mbox readers undo), a "From "
// line before each message, the bytes as archived, gzipped.
//
// Built in memory and bounded rather than streamed: at most mbox_messages messages and
// mbox_bytes bytes a download (the pages that link to one say so), so a download costs
// at most that, on one of the pool's threads; a thread or month that is larger is cut
// there (its first messages by date), and the rest is a search by date away.
#include "qm/local/mbox.hpp"

#include "pages.hpp"
#include "qm/date.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/web/server/http.hpp"
#include "qm/web/server/route.hpp"

#include <algorithm>
#include <cstdio>

namespace qm::web::server {

namespace {

// The messages' archived bytes as one mboxrd, within the bounds; messages whose file is
// not (or no longer) a complete archived message are left out.
std::string mboxrd(const std::string& dir, const std::vector<MessageRow>& rows) {
    std::string out, text;
    size_t taken = 0;
    for (const auto& r : rows) {
        if (++taken > mbox_messages)
            break;
        std::time_t mtime = 0;
        if (!read_file(qm::lists::archive_path(dir, r.msgnum), text, mtime))
            continue;
        if (out.size() + text.size() > mbox_bytes)
            break;
        // Not the sender's address: an mbox is read by programs that split it, and the
        // address is in the message's own From field.
        out += "From mboxrd@z " + mbox_ctime(static_cast<std::time_t>(r.date));
        qm::local::append_from_quoted(out, text);
        out += '\n';
    }
    return out;
}

Response download(const std::string& dir, const std::vector<MessageRow>& rows,
                  const std::string& name) {
    Response r;
    r.content_type = "application/gzip";
    r.body = gzip(mboxrd(dir, rows));
    r.fields.emplace_back("Content-Disposition", disposition(name, 0));
    return r;
}

} // namespace

Result<Response> thread_mbox(ListPage& lp, const MessageView& m) {
    auto entries = lp.archive.thread(m.row.thread);
    if (!entries)
        return fail(entries.error());
    // By date, as the messages were written, not in the page's nesting.
    std::vector<MessageRow> rows;
    for (auto& e : *entries)
        rows.push_back(std::move(e.row));
    std::stable_sort(rows.begin(), rows.end(), [](const MessageRow& a, const MessageRow& b) {
        return a.date != b.date ? a.date < b.date : a.msgnum < b.msgnum;
    });
    return download(lp.dir, rows, lp.list + "-thread-" + std::to_string(m.row.thread) + ".mbox.gz");
}

Result<Response> month_mbox(ListPage& lp, int year, unsigned month) {
    const auto [since, until] = month_span(year, month);
    auto rows = lp.archive.messages_between(since, until, mbox_messages);
    if (!rows)
        return fail(rows.error());
    char name[32];
    std::snprintf(name, sizeof name, "-%04d-%02u.mbox.gz", year, month);
    return download(lp.dir, *rows, lp.list + name);
}

Result<Response> search_mbox(ListPage& lp, const std::string& query, bool relevance) {
    const SearchQuery parsed = parse_query(query);
    std::vector<MessageRow> rows;
    if (!parsed.empty()) {
        auto hits =
            lp.archive.search(parsed, relevance ? Order::relevance : Order::date, 0, mbox_messages);
        if (!hits)
            return fail(hits.error());
        for (auto& h : *hits)
            rows.push_back(std::move(h.row));
    }
    return download(lp.dir, rows, lp.list + "-search.mbox.gz");
}

} // namespace qm::web::server

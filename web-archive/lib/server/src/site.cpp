#include "qm/web/server/site.hpp"

#include "archive.hpp"
#include "pages.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/web/index/text.hpp"
#include "qm/web/server/html.hpp"
#include "qm/web/server/login.hpp"
#include "qm/web/server/one_click.hpp"
#include "qm/web/server/page_cache.hpp"
#include "qm/web/server/query.hpp"
#include "qm/web/server/render.hpp"
#include "qm/web/server/route.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace qm::web::server {

namespace {

constexpr unsigned long feed_entries = 25;
constexpr size_t thread_page_messages = 500;

constexpr std::string_view style_sheet =
    R"css(body{margin:0 auto;max-width:50rem;padding:.5rem;font:16px/1.4 sans-serif;color:#222;background:#fff;overflow-wrap:anywhere}
header{border-bottom:1px solid #ccc;margin-bottom:.5rem;padding-bottom:.3rem}
a{color:#0645ad}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font:14px/1.35 monospace;margin:.3rem 0}
pre.q{color:#555;border-left:3px solid #ccc;padding-left:.5rem}
details summary{color:#555;cursor:pointer;font-size:.9rem}
dl.h{display:grid;grid-template-columns:max-content 1fr;gap:0 .6rem;margin:.5rem 0}
dl.h dt{font-weight:bold}dl.h dd{margin:0;overflow-wrap:anywhere}
ol.threads,ol.hits{padding-left:1.2rem}ol.threads li,ol.hits li{margin:.4rem 0}
.meta{color:#555;font-size:.9rem}
mark{background:#ffea7a}
ul.t{list-style:none;padding-left:.8rem;border-left:1px solid #ddd;margin:.3rem 0}
ul.t.top{padding-left:0;border:0}
article{border-top:1px solid #eee;padding:.3rem 0}
nav.pages a{margin-right:1rem}
form input[type=search]{width:60%;max-width:24rem}
h1{font-size:1.3rem;overflow-wrap:anywhere}
)css";

} // namespace

std::string date_text(std::int64_t t) {
    if (t == 0)
        return "(no date)";
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

namespace {

std::string rfc3339(std::int64_t t) {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string http_date(std::time_t t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

// FNV-1a: an ETag of the response body itself, so it changes exactly when the page does.
std::string etag_of(std::string_view body) {
    std::uint64_t h = 14695981039346656037ull;
    for (char c : body) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
    return buf;
}

// Whether an If-None-Match value names etag (or is "*").
bool matches(std::string_view if_none_match, std::string_view etag) {
    // ETags here are quoted hex digits, so one cannot be found inside another.
    return if_none_match.find('*') != std::string_view::npos ||
           if_none_match.find(etag) != std::string_view::npos;
}

} // namespace

std::string subject_text(std::string_view s) {
    return s.empty() ? "(no subject)" : std::string(s);
}

// A sender as pages show it: the name (itself obfuscated, names are sometimes
// addresses), else the obfuscated address.
std::string author_html(const MessageRow& r) {
    if (!r.from_name.empty())
        return escape_html(obfuscate_addresses(r.from_name));
    return escape_html(obfuscate_address(r.from_address));
}

std::string page(std::string_view title, std::string_view list, std::string_view content,
                 std::string_view head, std::string_view referrer) {
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                      "<meta name=\"referrer\" content=\"";
    out += referrer;
    out += "\"><title>";
    out += escape_html(title);
    out += "</title><link rel=\"stylesheet\" href=\"/style.css\">";
    out += head;
    out += "</head><body><header><a href=\"/\">lists</a>";
    if (!list.empty())
        out += " / <a href=\"/" + encode_segment(list) + "/\">" + escape_html(list) + "</a>";
    out += "</header>\n";
    out += content;
    out += "</body></html>\n";
    return out;
}

Response html(std::string body, int status) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.compressible = true;
    return r;
}

namespace {

std::string status_text(int status) {
    switch (status) {
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

} // namespace

// A page whose content changes exactly when its body does: ETag of the body, 304 when the
// client has it.
// Whether the client has the page of this ETag. The gzipped variant's ETag (http.cpp) is
// this one with "-gz": either means it has.
bool client_has(const Request& req, std::string_view etag) {
    return !req.if_none_match.empty() &&
           (matches(req.if_none_match, etag) ||
            matches(req.if_none_match, std::string(etag.substr(0, etag.size() - 1)) + "-gz\""));
}

Response not_modified(Response r) {
    r.status = 304;
    r.body.clear();
    r.compressible = false;
    return r;
}

Response cacheable(Response r, const Request& req, std::time_t modified) {
    const std::string etag = etag_of(r.body);
    r.fields.emplace_back("ETag", etag);
    if (modified > 0)
        r.fields.emplace_back("Last-Modified", http_date(modified));
    return client_has(req, etag) ? not_modified(std::move(r)) : r;
}

// A kept page (page_cache.hpp) for this request: 304 when the client has it.
Response revalidated(Response r, const Request& req) {
    for (const auto& [name, value] : r.fields)
        if (name == "ETag" && client_has(req, value))
            return not_modified(std::move(r));
    return r;
}

std::string message_href(std::string_view list, std::string_view id, unsigned long msgnum) {
    if (id.empty())
        return "/" + encode_segment(list) + "/" + std::string(no_id_segment) + "/" +
               std::to_string(msgnum) + "/";
    return "/" + encode_segment(list) + "/" + encode_segment(id) + "/";
}

std::string message_href(std::string_view list, const MessageRow& row) {
    return message_href(list, row.message_id, row.msgnum);
}

namespace {

std::string search_form(std::string_view list, std::string_view query) {
    return "<form action=\"/" + encode_segment(list) +
           "/\" method=\"get\"><input type=\"search\" name=\"q\" value=\"" + escape_html(query) +
           "\" aria-label=\"search\"> <button>search</button></form>\n";
}

} // namespace

// A file name as Content-Disposition can carry it: no path, no controls, no quotes; the
// ASCII form for filename= and the UTF-8 form percent-encoded for filename*=.
std::string disposition(std::string_view name, unsigned part) {
    std::string clean;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '/' || c == '\\' || c == '"')
            clean += '_';
        else
            clean += c;
    }
    while (!clean.empty() && clean.front() == '.')
        clean.erase(0, 1);
    if (clean.empty())
        clean = "attachment-" + std::to_string(part);
    std::string ascii;
    for (char c : clean)
        ascii += static_cast<unsigned char>(c) < 0x80 && c != ';' && c != '%' ? c : '_';
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encode_segment(clean);
}

namespace {

// Types a browser shows without running anything; everything else is
// application/octet-stream (and every attachment is Content-Disposition: attachment).
std::string safe_type(std::string_view type) {
    static constexpr std::string_view inert[] = {"image/png",       "image/jpeg",
                                                 "image/gif",       "application/pdf",
                                                 "application/zip", "application/gzip"};
    for (auto t : inert)
        if (type == t)
            return std::string(t);
    return "application/octet-stream";
}

} // namespace

bool read_file(const std::string& path, std::string& out, std::time_t& mtime) {
    struct stat st {};
    // Only a completely archived message (ezmlm-send sets the owner-execute bit last).
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IXUSR) == 0)
        return false;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream s;
    s << in.rdbuf();
    out = s.str();
    mtime = st.st_mtime;
    return true;
}

namespace {

// Leaf number part of message decoded, counted as the indexer counts (message.cpp):
// every leaf in document order, enclosed messages (message/rfc822 not attached) walked
// into, at most Limits::parts leaves.
class PartFinder {
public:
    PartFinder(unsigned wanted, const Limits& limits)
        : wanted_(wanted)
        , limits_(limits) {}
    std::optional<std::string> find(std::string_view message) {
        walk(message, 0);
        return found_;
    }

private:
    void leaf(const qm::lists::MediaType& type, const std::vector<std::string>& fields,
              std::string_view body, size_t enclosed) {
        if (found_ || ++leaves_ > limits_.parts)
            return;
        const std::string encoding =
            qm::lists::unfolded_field(fields, "content-transfer-encoding").value_or("");
        std::string disp = qm::lists::unfolded_field(fields, "content-disposition").value_or("");
        std::transform(disp.begin(), disp.end(), disp.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const bool attached = disp.starts_with("attachment") ||
                              disp.find("filename") != std::string::npos || !type.name.empty();
        if (type.type == "message/rfc822" && !attached) {
            if (enclosed < limits_.enclosed_depth)
                walk(qm::lists::decode_transfer_encoding(encoding, body), enclosed + 1);
            return;
        }
        if (leaves_ == wanted_)
            found_ = qm::lists::decode_transfer_encoding(encoding, body);
    }
    void walk(std::string_view text, size_t enclosed) {
        const auto split = qm::inject::split_message(text);
        auto type = qm::lists::content_type_of(split.fields);
        if (!type)
            type = qm::lists::MediaType{};
        qm::lists::MimeVisitor v;
        v.part = [](const qm::lists::MediaType&) {};
        v.filler = [](std::string_view) {};
        v.leaf = [&](const qm::lists::MediaType& t, const std::vector<std::string>& fields,
                     std::string_view body) { leaf(t, fields, body, enclosed); };
        const unsigned before = leaves_;
        if (auto s = qm::lists::walk_mime(v, split, *type); !s && leaves_ == before) {
            std::string_view body = split.body;
            if (body.starts_with('\n'))
                body.remove_prefix(1);
            leaf(qm::lists::MediaType{.type = "text/plain", .charset = type->charset}, {}, body,
                 enclosed);
        }
    }
    unsigned wanted_;
    Limits limits_;
    unsigned leaves_ = 0;
    std::optional<std::string> found_;
};

class Handler {
public:
    Handler(const Config& config, LoginStore* logins, PageCache* cache, const Request& request)
        : config_(config)
        , logins_(logins)
        , cache_(cache)
        , req_(request) {}

    Response run() {
        const Route r = route(req_.target);
        switch (r.page) {
        case Page::lists:
            return lists();
        case Page::style: {
            Response s;
            s.content_type = "text/css; charset=utf-8";
            s.body = std::string(style_sheet);
            s.fields.emplace_back("Cache-Control", "public, max-age=86400");
            return cacheable(std::move(s), req_, 0);
        }
        case Page::redirect: {
            if (!config_.lists.contains(r.list))
                return error_page(404); // "/favicon.ico" is not a list to add a "/" to
            Response s = error_page(301);
            s.fields.emplace_back("Location", r.location);
            return s;
        }
        case Page::not_found:
            return error_page(404);
        default:
            break;
        }
        const auto it = config_.lists.find(r.list);
        if (it == config_.lists.end())
            return error_page(404);
        // One-click unsubscription works on every list; private archives' pages go
        // through the login gate (login.hpp), and a public list has no login pages.
        if (r.page == Page::unsubscribe)
            return one_click_page(it->second, r.list, r.token, req_);
        if (!list_is_public(it->second))
            return private_page(logins_, config_, r, it->second, req_,
                                [&] { return serve(r, it->second); });
        if (takes_post(r.page))
            return error_page(404);
        return serve(r, it->second, cache_);
    }

private:
    // cache: given for public lists only (a private page names its reader).
    Response serve(const Route& r, const std::string& dir, PageCache* cache = nullptr) {
        dir_ = dir;
        list_ = r.list;
        auto archive = ListArchive::open(dir_);
        if (!archive)
            return error_page(503);
        archive_ = &*archive;
        std::optional<std::int64_t> version;
        const std::string key = r.list + "\n" + req_.target;
        if (cache) {
            if (auto v = archive_->version())
                version = *v;
            if (version)
                if (auto kept = cache->find(key, *version))
                    return revalidated(std::move(*kept), req_);
        }
        Result<Response> out = run(r);
        if (!out)
            return error_page(503);
        // Only a whole page is kept: a 304's body is empty.
        if (version && req_.if_none_match.empty())
            cache->keep(key, *version, *out);
        return std::move(*out);
    }

    Result<Response> run(const Route& r) {
        ListPage lp{req_, list_, dir_, *archive_};
        switch (r.page) {
        case Page::list:
            if (r.mbox && !r.query.empty())
                return search_mbox(lp, r.query, r.relevance);
            return r.query.empty() ? front(r.page_no) : search(r);
        case Page::atom:
            return atom();
        case Page::months:
            return months_page(lp);
        case Page::month:
            return month_page(lp, r.year, r.month, r.page_no);
        case Page::month_mbox:
            return month_mbox(lp, r.year, r.month);
        case Page::authors:
            return authors_page(lp, r.page_no);
        case Page::author:
            return author_page(lp, r.author, r.page_no);
        default:
            break;
        }
        auto m =
            r.msgnum ? archive_->message_without_id(r.msgnum) : archive_->message(r.message_id);
        if (!m)
            return fail(m.error());
        if (!*m)
            return error_page(404);
        switch (r.page) {
        case Page::message:
            return message(**m);
        case Page::raw:
            return raw(**m);
        case Page::thread:
            return thread(**m);
        case Page::attachment:
            return attachment(**m, r.part);
        case Page::thread_mbox:
            return thread_mbox(lp, **m);
        default:
            return error_page(404);
        }
    }

    Response lists() const {
        std::string c = "<h1>Lists</h1>\n<ul>\n";
        for (const auto& [name, dir] : config_.lists)
            if (list_is_public(dir))
                c += "<li><a href=\"/" + encode_segment(name) + "/\">" + escape_html(name) +
                     "</a></li>\n";
        c += "</ul>\n";
        return html(page("Lists", "", c));
    }

    // The list's page for query ("": the front page) in an order, with one more parameter
    // (extra, "x=m"); with paging, ending in "?" or "&" for page_links' "p=N".
    std::string search_url(std::string_view query, bool relevance, std::string_view extra,
                           bool paging = false) const {
        std::string params;
        if (!query.empty())
            params += "q=" + encode_query_value(query);
        if (relevance)
            params += std::string(params.empty() ? "" : "&") + "r";
        if (!extra.empty())
            params += (params.empty() ? "" : "&") + std::string(extra);
        std::string url = "/" + encode_segment(list_) + "/";
        if (!params.empty())
            url += "?" + params;
        if (paging)
            url += params.empty() ? "?" : "&";
        return url;
    }

    Result<Response> front(unsigned long page_no) {
        auto threads = archive_->latest_threads((page_no - 1) * per_page, per_page + 1);
        if (!threads)
            return fail(threads.error());
        const bool more = threads->size() > per_page;
        if (more)
            threads->pop_back();
        std::string c = "<h1>" + escape_html(list_) + "</h1>\n" + search_form(list_, "");
        const std::string base = "/" + encode_segment(list_) + "/";
        c += "<p><a href=\"" + base + "_/months/\">by month</a> · <a href=\"" + base +
             "_/authors/\">authors</a> · <a href=\"" + base + "new.atom\">Atom feed</a></p>\n";
        c += "<ol class=\"threads\">\n";
        for (const auto& t : *threads) {
            c += "<li><a href=\"" + message_href(list_, t.root_message_id, t.thread.root) +
                 "t/\">" + escape_html(subject_text(t.thread.subject)) +
                 "</a><div class=\"meta\">" + std::to_string(t.thread.messages) +
                 (t.thread.messages == 1 ? " message" : " messages") + ", last " +
                 date_text(t.thread.last_date) + "</div></li>\n";
        }
        c += "</ol>\n";
        if (threads->empty())
            c += "<p>No messages.</p>\n";
        c += page_links(search_url("", false, "", true), page_no, more);
        return html(page(list_, list_, c,
                         "<link rel=\"alternate\" type=\"application/atom+xml\" "
                         "href=\"/" +
                             encode_segment(list_) + "/new.atom\">"));
    }

    Result<Response> search(const Route& r) {
        const std::string& query = r.query;
        const unsigned long page_no = r.page_no;
        std::string c = "<h1>Search " + escape_html(list_) + "</h1>\n" + search_form(list_, query);
        const SearchQuery parsed = parse_query(query);
        std::vector<SearchHit> hits;
        if (!parsed.empty()) {
            auto found = archive_->search(parsed, r.relevance ? Order::relevance : Order::date,
                                          (page_no - 1) * per_page, per_page + 1);
            if (!found)
                return fail(found.error());
            hits = std::move(*found);
        }
        const bool more = hits.size() > per_page;
        if (more)
            hits.pop_back();
        if (hits.empty()) {
            c += "<p>No messages match.</p>\n";
        } else {
            // The other order (a GET link: the page stays cacheable and works without a
            // script), and the matches as one download.
            c += "<p class=\"meta\">" +
                 std::string(r.relevance ? "best first · <a href=\"" +
                                               escape_html(search_url(query, false, "")) +
                                               "\">newest first</a>"
                                         : "newest first · <a href=\"" +
                                               escape_html(search_url(query, true, "")) +
                                               "\">best first</a>") +
                 " · <a href=\"" + escape_html(search_url(query, r.relevance, "x=m")) +
                 "\">mbox.gz</a> (the first " + std::to_string(mbox_messages) + " matches)</p>\n";
        }
        c += "<ol class=\"hits\">\n";
        for (const auto& h : hits) {
            c += "<li><a href=\"" + message_href(list_, h.row) + "\">" +
                 escape_html(subject_text(h.row.subject)) + "</a><div class=\"meta\">" +
                 author_html(h.row) + ", " + date_text(h.row.date) + "</div><div>" +
                 snippet_html(h.snippet) + "</div></li>\n";
        }
        c += "</ol>\n" + page_links(search_url(query, r.relevance, "", true), page_no, more);
        return html(page("Search " + list_, list_, c));
    }

    // The snippet with its match markers (\x01, \x02) as <mark> elements, every other
    // byte escaped; always balanced, whatever the text holds.
    static std::string snippet_html(std::string_view s) {
        std::string out, run;
        bool open = false;
        const auto flush = [&] {
            out += escape_html(obfuscate_addresses(run));
            run.clear();
        };
        for (char c : s) {
            if (c == '\x01' || c == '\x02') {
                flush();
                if (c == '\x01' && !open)
                    out += "<mark>";
                if (c == '\x02' && open)
                    out += "</mark>";
                open = c == '\x01' ? true : (c == '\x02' ? false : open);
                continue;
            }
            run += c;
        }
        flush();
        if (open)
            out += "</mark>";
        return out;
    }

    std::string headers_html(const MessageRow& r) const {
        std::string c = "<dl class=\"h\"><dt>From</dt><dd>" + author_html(r);
        if (!r.from_name.empty() && !r.from_address.empty())
            c += " &lt;" + escape_html(obfuscate_address(r.from_address)) + "&gt;";
        c += "</dd><dt>Date</dt><dd>" + date_text(r.date) + "</dd><dt>Subject</dt><dd>" +
             escape_html(subject_text(r.subject)) + "</dd></dl>\n";
        return c;
    }

    std::time_t archive_mtime(unsigned long msgnum) const {
        struct stat st {};
        const std::string path = qm::lists::archive_path(dir_, msgnum);
        return ::stat(path.c_str(), &st) == 0 ? st.st_mtime : 0;
    }

    Result<Response> message(const MessageView& m) {
        auto atts = archive_->attachments(m.row.msgnum);
        if (!atts)
            return fail(atts.error());
        const std::string href = message_href(list_, m.row);
        std::string c = "<article><h1>" + escape_html(subject_text(m.row.subject)) + "</h1>\n" +
                        headers_html(m.row);
        c += "<p class=\"meta\"><a href=\"" + href + "t/\">thread</a> · <a href=\"" + href +
             "raw\">raw</a></p>\n";
        RenderBudget budget;
        auto body = body_html(m.row, std::move(*atts), budget);
        c += body ? *body : render_text(m.body);
        if (m.row.truncated)
            c += "<p class=\"meta\">This message was too large to index in full; the raw "
                 "message has all of it.</p>\n";
        c += "</article>\n";
        return cacheable(html(page(subject_text(m.row.subject), list_, c)), req_,
                         archive_mtime(m.row.msgnum));
    }

    // The message's body rendered from its archive file (render.hpp); nullopt when the
    // file cannot be read (the pages then show the text the index extracted).
    std::optional<std::string> body_html(const MessageRow& row, std::vector<Attachment> atts,
                                         RenderBudget& budget,
                                         bool fold_alternatives = true) const {
        std::string file;
        std::time_t mtime = 0;
        if (!read_file(qm::lists::archive_path(dir_, row.msgnum), file, mtime))
            return std::nullopt;
        RenderOptions options;
        options.fold_alternatives = fold_alternatives;
        options.attachment_base = message_href(list_, row);
        options.attachments = std::move(atts);
        return render_message(file, options, budget).html;
    }

    Result<Response> raw(const MessageView& m) {
        Response r;
        std::time_t mtime = 0;
        if (!read_file(qm::lists::archive_path(dir_, m.row.msgnum), r.body, mtime))
            return error_page(404);
        r.content_type = "text/plain; charset=utf-8";
        return cacheable(std::move(r), req_, mtime);
    }

    Result<Response> attachment(const MessageView& m, unsigned part) {
        auto atts = archive_->attachments(m.row.msgnum);
        if (!atts)
            return fail(atts.error());
        const auto a = std::find_if(atts->begin(), atts->end(),
                                    [&](const Attachment& x) { return x.part == part; });
        if (a == atts->end())
            return error_page(404);
        std::string message;
        std::time_t mtime = 0;
        if (!read_file(qm::lists::archive_path(dir_, m.row.msgnum), message, mtime))
            return error_page(404);
        auto bytes = PartFinder(part, Limits{}).find(message);
        // The part found must be the one indexed: a different size means the walk
        // disagrees with the index's, and the wrong bytes are never served.
        if (!bytes || bytes->size() != a->size)
            return error_page(404);
        Response r;
        r.content_type = safe_type(a->content_type);
        r.body = std::move(*bytes);
        r.fields.emplace_back("Content-Disposition", disposition(a->filename, part));
        return cacheable(std::move(r), req_, mtime);
    }

    Result<Response> thread(const MessageView& m) {
        auto entries = archive_->thread(m.row.thread);
        if (!entries)
            return fail(entries.error());
        std::string c = "<h1>" + escape_html(subject_text(m.row.subject)) + "</h1>\n";
        c += "<ul class=\"t top\">";
        unsigned depth = 0;
        size_t shown = 0;
        // One budget for the page: a thread of bombs costs what a few messages may.
        RenderBudget budget{.text_bytes = 4u << 20, .html_tags = 4000};
        for (const auto& e : *entries) {
            if (++shown > thread_page_messages) {
                c += "<li>… " + std::to_string(entries->size() - thread_page_messages) +
                     " more messages</li>";
                break;
            }
            for (; depth < e.depth; ++depth)
                c += "<li><ul class=\"t\">";
            for (; depth > e.depth; --depth)
                c += "</ul></li>";
            auto atts = archive_->attachments(e.row.msgnum);
            if (!atts)
                return fail(atts.error());
            auto body = body_html(e.row, std::move(*atts), budget, false);
            if (!body) {
                auto text = archive_->body(e.row.msgnum);
                if (!text)
                    return fail(text.error());
                body = render_text(*text);
            }
            const std::string href = message_href(list_, e.row);
            c += "<li><article" + std::string(e.row.msgnum == m.row.msgnum ? " id=\"m\"" : "") +
                 "><a href=\"" + href + "\">" + escape_html(subject_text(e.row.subject)) +
                 "</a><div class=\"meta\">" + author_html(e.row) + ", " + date_text(e.row.date) +
                 "</div>" + *body + "</article></li>\n";
        }
        for (; depth > 0; --depth)
            c += "</ul></li>";
        c += "</ul>\n";
        return html(page(subject_text(m.row.subject), list_, c));
    }

    Result<Response> atom() {
        auto rows = archive_->latest_messages(feed_entries);
        if (!rows)
            return fail(rows.error());
        const std::string base = "/" + encode_segment(list_) + "/";
        std::string x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>" +
                        escape_html(list_) + "</title><link rel=\"alternate\" href=\"" + base +
                        "\"/><link rel=\"self\" href=\"" + base +
                        "new.atom\"/><id>urn:list:" + escape_html(encode_segment(list_)) +
                        "</id><updated>" + rfc3339(rows->empty() ? 0 : rows->front().date) +
                        "</updated>\n";
        for (const auto& r : *rows) {
            auto body = archive_->body(r.msgnum);
            if (!body)
                return fail(body.error());
            std::string summary(utf8_prefix(*body, 600));
            x += "<entry><title>" + escape_html(subject_text(r.subject)) +
                 "</title><author><name>" + author_html(r) + "</name></author><link href=\"" +
                 message_href(list_, r) + "\"/><id>" + escape_html(atom_id(r)) + "</id><updated>" +
                 rfc3339(r.date) + "</updated><content type=\"text\">" +
                 escape_html(obfuscate_addresses(summary)) + "</content></entry>\n";
        }
        x += "</feed>\n";
        Response out;
        out.content_type = "application/atom+xml; charset=utf-8";
        out.body = std::move(x);
        out.compressible = true;
        return out;
    }

    // A message's lasting name in the feed: its Message-ID, or its number in the list
    // when it has none.
    std::string atom_id(const MessageRow& r) const {
        if (r.message_id.empty())
            return "urn:list:" + encode_segment(list_) + ":" + std::to_string(r.msgnum);
        return "mid:" + encode_segment(r.message_id);
    }

    const Config& config_;
    LoginStore* logins_;
    PageCache* cache_;
    const Request& req_;
    std::string dir_, list_;
    ListArchive* archive_ = nullptr;
};

} // namespace

std::vector<std::pair<std::string, std::string>> safety_fields() {
    return {{"Content-Security-Policy",
             "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
             "frame-ancestors 'none'; base-uri 'none'"},
            {"X-Content-Type-Options", "nosniff"},
            {"Referrer-Policy", "no-referrer"}};
}

Response error_page(int status) {
    const std::string title = std::to_string(status) + " " + status_text(status);
    Response r = html(page(title, "", "<h1>" + escape_html(title) + "</h1>\n"), status);
    if (status == 301)
        r.body = page("Moved", "", "<h1>Moved</h1>\n");
    return r;
}

std::string page_html(std::string_view title, std::string_view list, std::string_view content,
                      std::string_view referrer) {
    return page(title, list, content, "", referrer);
}

Site::Site(Config config, std::shared_ptr<LoginStore> logins)
    : config_(std::move(config))
    , logins_(std::move(logins))
    , cache_(config_.page_cache_bytes ? std::make_unique<PageCache>(config_.page_cache_bytes)
                                      : nullptr) {}
Site::~Site() = default;
Site::Site(Site&&) noexcept = default;

Response Site::handle(const Request& request) const {
    if (request.target.size() > max_target_bytes)
        return error_page(414);
    return Handler(config_, logins_.get(), cache_.get(), request).run();
}

} // namespace qm::web::server

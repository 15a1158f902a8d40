#include "qm/web/server/route.hpp"

#include "qm/lists/manage/one_click.hpp"
#include "qm/web/server/config.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

namespace qm::web::server {

namespace {

bool unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

std::string encode(std::string_view s, bool form) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (unreserved(c) || (!form && c == '@'))
            out += c;
        else if (form && c == ' ')
            out += '+';
        else {
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 15];
        }
    }
    return out;
}

// The raw value of name in a query string: "" for a bare name ("&r"), nullopt when it is
// not there.
std::optional<std::string_view> raw_parameter(std::string_view query, std::string_view name) {
    size_t pos = 0;
    while (pos <= query.size()) {
        size_t end = query.find('&', pos);
        if (end == std::string_view::npos)
            end = query.size();
        const std::string_view pair = query.substr(pos, end - pos);
        const size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name)
            return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        pos = end + 1;
    }
    return std::nullopt;
}

// The value of name in a query string (form encoding: "+" is a space); "" when absent.
std::string parameter(std::string_view query, std::string_view name) {
    std::string value(raw_parameter(query, name).value_or(""));
    std::replace(value.begin(), value.end(), '+', ' ');
    return qm::lists::percent_decode(value).value_or("");
}

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// s as a number of up to max_digits digits, no sign, no leading zero; 0 when not.
unsigned long number(std::string_view s, size_t max_digits) {
    if (s.empty() || s.size() > max_digits || s[0] == '0')
        return 0;
    unsigned long n = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    return ec == std::errc{} && ptr == s.data() + s.size() ? n : 0;
}

unsigned long page_number(std::string_view query) {
    const std::string p = parameter(query, "p");
    const unsigned long n = number(p, 6);
    return n >= 1 && n <= 100000 ? n : 1;
}

// /LIST/unsubscribe/TOKEN and /LIST/_/...: the pages of readers' accounts rather than
// of messages (one_click.hpp, login.hpp).
Route account_route(Route r, const std::vector<std::string>& segments,
                    const std::vector<std::string_view>& raw, bool trailing_slash) {
    if (trailing_slash)
        return r;
    if (segments[1] == "unsubscribe") {
        if (segments.size() == 3) {
            r.page = Page::unsubscribe;
            r.token = std::string(raw[2]);
        }
        return r;
    }
    if (segments.size() == 3 && segments[2] == "login")
        r.page = Page::login;
    else if (segments.size() == 3 && segments[2] == "logout")
        r.page = Page::logout;
    else if (segments.size() == 4 && segments[2] == "login") {
        r.page = Page::login_link;
        r.token = std::string(raw[3]);
    }
    return r;
}

} // namespace

std::string form_value(std::string_view form, std::string_view name) {
    return parameter(form, name);
}

bool takes_post(Page page) {
    return page == Page::unsubscribe || page == Page::login || page == Page::login_link ||
           page == Page::logout;
}

std::string encode_segment(std::string_view s) {
    return encode(s, false);
}

std::string encode_query_value(std::string_view s) {
    return encode(s, true);
}

Route route(std::string_view target) {
    Route r;
    const size_t q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    if (!path.starts_with('/'))
        return r;
    // Segments split before decoding, so %2F inside a Message-ID stays in its segment.
    std::vector<std::string> segments;
    std::vector<std::string_view> raw_segments; // as sent, for tokens decoded by their owner
    bool trailing_slash = false;
    for (size_t pos = 1; pos <= path.size();) {
        size_t end = path.find('/', pos);
        if (end == std::string_view::npos)
            end = path.size();
        const std::string_view raw = path.substr(pos, end - pos);
        trailing_slash = raw.empty() && end == path.size();
        if (raw.empty() && end != path.size())
            return r; // "//": no page has an empty segment
        if (!raw.empty()) {
            auto decoded = qm::lists::percent_decode(raw);
            if (!decoded || decoded->empty())
                return r;
            segments.push_back(std::move(*decoded));
            raw_segments.push_back(raw);
        }
        pos = end + 1;
    }
    if (segments.empty()) {
        r.page = Page::lists;
        return r;
    }
    if (segments.size() == 1 && segments[0] == "style.css" && !trailing_slash) {
        r.page = Page::style;
        return r;
    }
    if (!valid_list_name(segments[0]))
        return r;
    r.list = segments[0];
    const auto redirect = [&] {
        r.page = Page::redirect;
        r.location = std::string(path) + "/";
        if (!query.empty())
            r.location += "?" + std::string(query);
        return r;
    };
    if (segments.size() == 1) {
        if (!trailing_slash)
            return redirect();
        r.page = Page::list;
        r.query = parameter(query, "q");
        r.page_no = page_number(query);
        r.relevance = raw_parameter(query, "r").has_value();
        r.mbox = parameter(query, "x") == "m";
        return r;
    }
    if (segments.size() == 2 && segments[1] == "new.atom" && !trailing_slash) {
        r.page = Page::atom;
        return r;
    }
    if (segments[1] == "unsubscribe" || (segments[1] == "_" && segments.size() >= 3 &&
                                         (segments[2] == "login" || segments[2] == "logout")))
        return account_route(std::move(r), segments, raw_segments, trailing_slash);
    // Pages with a third segment no message page has (the comment in route.hpp).
    if (segments[1] == "_" && segments.size() >= 3) {
        const std::string& what = segments[2];
        if (what == "months" && segments.size() == 3) {
            if (!trailing_slash)
                return redirect();
            r.page = Page::months;
            return r;
        }
        if (what == "authors" && segments.size() <= 4) {
            if (segments.size() == 4 && (r.author = number(segments[3], 10)) == 0)
                return r;
            if (!trailing_slash)
                return redirect();
            r.page = segments.size() == 4 ? Page::author : Page::authors;
            r.page_no = page_number(query);
            return r;
        }
        // /LIST/_/N/...: then as /LIST/MSGID/...; anything else is a page of the
        // message whose ID is "_".
        if ((r.msgnum = number(what, 10)) != 0)
            segments.erase(segments.begin() + 1);
    }
    if (!r.msgnum && segments.size() >= 3 && segments[1].size() == 4 && segments[2].size() == 2 &&
        all_digits(segments[2])) {
        const unsigned long y = number(segments[1], 4);
        const unsigned long m =
            number(segments[2][0] == '0' ? segments[2].substr(1) : segments[2], 2);
        if (y < 1900 || m < 1 || m > 12)
            return r;
        r.year = static_cast<int>(y);
        r.month = static_cast<unsigned>(m);
        if (segments.size() == 3) {
            if (!trailing_slash)
                return redirect();
            r.page = Page::month;
            r.page_no = page_number(query);
            return r;
        }
        if (segments.size() == 4 && segments[3] == "mbox.gz" && !trailing_slash)
            r.page = Page::month_mbox;
        return r;
    }
    if (!r.msgnum)
        r.message_id = segments[1];
    if (segments.size() == 2) {
        if (!trailing_slash)
            return redirect();
        r.page = Page::message;
        return r;
    }
    if (segments.size() != 3)
        return r;
    const std::string& last = segments[2];
    if (last == "raw" && !trailing_slash) {
        r.page = Page::raw;
        return r;
    }
    if (last == "t.mbox.gz" && !trailing_slash) {
        r.page = Page::thread_mbox;
        return r;
    }
    if (last == "t" || last == "T") {
        if (!trailing_slash)
            return redirect();
        r.page = Page::thread;
        return r;
    }
    const size_t dash = last.find('-');
    if (dash != std::string::npos && dash > 0 && dash <= 5 && !trailing_slash) {
        unsigned n = 0;
        const auto [ptr, ec] = std::from_chars(last.data(), last.data() + dash, n);
        if (ec == std::errc{} && ptr == last.data() + dash && n > 0) {
            r.page = Page::attachment;
            r.part = n;
            return r;
        }
    }
    return r;
}

} // namespace qm::web::server

#include "qm/web/server/query.hpp"

#include "qm/web/index/text.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

namespace qm::web::server {

namespace {

bool space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// An FTS5 string: the term between double quotes, each double quote doubled. Control
// characters become spaces (the tokenizer separates on them anyway, and NUL would end
// the expression early in SQLite's C strings).
std::string quoted(std::string_view term) {
    std::string out = "\"";
    for (char c : term) {
        if (c == '"')
            out += "\"\"";
        else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            out += ' ';
        else
            out += c;
    }
    out += '"';
    return out;
}

bool digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One end of a d: range: the first and the last day it names, as days since 1970-01-01.
// YYYYMMDD, YYYY-MM-DD, YYYYMM, YYYY-MM or YYYY; years 1900 to 9999 (the index's dates).
std::optional<std::pair<std::int64_t, std::int64_t>> date_span(std::string_view s) {
    using namespace std::chrono;
    std::string compact;
    if (s.size() == 10 && s[4] == '-' && s[7] == '-')
        compact =
            std::string(s.substr(0, 4)) + std::string(s.substr(5, 2)) + std::string(s.substr(8, 2));
    else if (s.size() == 7 && s[4] == '-')
        compact = std::string(s.substr(0, 4)) + std::string(s.substr(5, 2));
    else
        compact = s;
    if (!digits(compact) || (compact.size() != 8 && compact.size() != 6 && compact.size() != 4))
        return std::nullopt;
    const int y = std::stoi(compact.substr(0, 4));
    const unsigned m =
        compact.size() >= 6 ? static_cast<unsigned>(std::stoi(compact.substr(4, 2))) : 0;
    const unsigned d =
        compact.size() == 8 ? static_cast<unsigned>(std::stoi(compact.substr(6, 2))) : 0;
    if (y < 1900 || y > 9999 || (compact.size() >= 6 && (m < 1 || m > 12)) ||
        (compact.size() == 8 && d < 1))
        return std::nullopt;
    year_month_day first{year{y}, month{m == 0 ? 1u : m}, day{d == 0 ? 1u : d}};
    year_month_day last = first;
    if (m == 0)
        last = year{y} / December / 31;
    else if (d == 0)
        last = year_month_day{year_month_day_last{year{y}, month_day_last{month{m}}}};
    if (!first.ok() || !last.ok())
        return std::nullopt;
    return std::pair{static_cast<std::int64_t>(sys_days{first}.time_since_epoch().count()),
                     static_cast<std::int64_t>(sys_days{last}.time_since_epoch().count())};
}

// A d: range ("FROM..TO", "FROM..", "..TO", "DAY") into bounds in seconds; false when it
// is not one.
bool date_range(std::string_view s, SearchQuery& q) {
    std::optional<std::int64_t> since, until;
    const size_t dots = s.find("..");
    const std::string_view from = dots == std::string_view::npos ? s : s.substr(0, dots);
    const std::string_view to = dots == std::string_view::npos ? s : s.substr(dots + 2);
    if (from.empty() && to.empty())
        return false;
    if (!from.empty()) {
        const auto span = date_span(from);
        if (!span)
            return false;
        since = span->first * 86400;
    }
    if (!to.empty()) {
        const auto span = date_span(to);
        if (!span)
            return false;
        until = (span->second + 1) * 86400;
    }
    if (since)
        q.since = q.since ? std::max(*q.since, *since) : *since;
    if (until)
        q.until = q.until ? std::min(*q.until, *until) : *until;
    return true;
}

} // namespace

std::string fts5_query(std::string_view query) {
    return parse_query(query).fts5;
}

SearchQuery parse_query(std::string_view query) {
    SearchQuery q;
    const std::string text = repair_utf8(utf8_prefix(repair_utf8(query), max_query_bytes));
    std::vector<std::string> terms;
    size_t i = 0, taken = 0;
    while (i < text.size() && taken < max_query_terms) {
        while (i < text.size() && space(text[i]))
            ++i;
        if (i == text.size())
            break;
        // d:RANGE, a word without quotes.
        if (text.compare(i, 2, "d:") == 0) {
            size_t end = i;
            while (end < text.size() && !space(text[end]))
                ++end;
            if (date_range(std::string_view(text).substr(i + 2, end - i - 2), q)) {
                ++taken;
                i = end;
                continue;
            }
        }
        std::string column;
        for (const auto& [prefix, name] :
             {std::pair<std::string_view, std::string_view>{"from:", "author"},
              {"subject:", "subject"}}) {
            if (text.size() - i > prefix.size() &&
                std::string_view(text).substr(i, prefix.size()) == prefix &&
                !space(text[i + prefix.size()])) {
                column = name;
                i += prefix.size();
                break;
            }
        }
        std::string term;
        if (text[i] == '"') {
            const size_t close = text.find('"', i + 1);
            const size_t end = close == std::string::npos ? text.size() : close;
            term = text.substr(i + 1, end - i - 1);
            i = close == std::string::npos ? text.size() : close + 1;
        } else {
            const size_t start = i;
            while (i < text.size() && !space(text[i]))
                ++i;
            term = text.substr(start, i - start);
        }
        // A term of nothing but blanks would be an empty phrase: skip it.
        bool blank = true;
        for (char c : term)
            blank = blank && (space(c) || static_cast<unsigned char>(c) < 0x20);
        if (blank)
            continue;
        terms.push_back(column.empty() ? quoted(term) : column + " : " + quoted(term));
        ++taken;
    }
    for (const auto& t : terms)
        q.fts5 += (q.fts5.empty() ? "" : " AND ") + t;
    return q;
}

} // namespace qm::web::server

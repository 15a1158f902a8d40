#include "qm/web/server/query.hpp"

#include "qm/web/index/text.hpp"

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

} // namespace

std::string fts5_query(std::string_view query) {
    const std::string text = repair_utf8(utf8_prefix(repair_utf8(query), max_query_bytes));
    std::vector<std::string> terms;
    size_t i = 0;
    while (i < text.size() && terms.size() < max_query_terms) {
        while (i < text.size() && space(text[i]))
            ++i;
        if (i == text.size())
            break;
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
    }
    std::string out;
    for (const auto& t : terms)
        out += (out.empty() ? "" : " AND ") + t;
    return out;
}

} // namespace qm::web::server

// The search box's language, made into an FTS5 MATCH expression. The input comes from
// the network, so the output must be a valid FTS5 expression for every input (an FTS5
// syntax error would be a 500 and a way to probe the parser): every term is written as
// an FTS5 string ("..." with " doubled), never as a bareword, so no operator, column
// name, "*", "^", "NEAR" or parenthesis typed by a reader is ever read as syntax.
//
// The language: words (each must match), "quoted phrases", from:WORD or from:"a phrase"
// (the author column: name and address), subject:WORD or subject:"a phrase", and
// public-inbox's date ranges: d:FROM..TO, d:FROM.., d:..TO or d:DAY, each date YYYYMMDD,
// YYYY-MM-DD, YYYYMM, YYYY-MM or YYYY (both ends included: d:2026-01..2026-02 is January
// and February). A d: term that is not such a range is searched as a word. Terms are
// ANDed (two ranges: the days in both). Input is cut to max_query_bytes and
// max_query_terms so that a query costs bounded work. Dates never reach FTS5: they are
// bounds on the messages' date column, bound as integers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qm::web::server {

inline constexpr size_t max_query_bytes = 512;
inline constexpr size_t max_query_terms = 16;

struct SearchQuery {
    std::string fts5;                  // the MATCH expression; "" when no word is asked for
    std::optional<std::int64_t> since; // UTC seconds, the first included
    std::optional<std::int64_t> until; // UTC seconds, the first excluded
    [[nodiscard]] bool empty() const { return fts5.empty() && !since && !until; }
};

[[nodiscard]] SearchQuery parse_query(std::string_view query);

// The FTS5 expression for query; "" when the query has no word (nothing to match).
[[nodiscard]] std::string fts5_query(std::string_view query);

} // namespace qm::web::server

// The search box's language, made into an FTS5 MATCH expression. The input comes from
// the network, so the output must be a valid FTS5 expression for every input (an FTS5
// syntax error would be a 500 and a way to probe the parser): every term is written as
// an FTS5 string ("..." with " doubled), never as a bareword, so no operator, column
// name, "*", "^", "NEAR" or parenthesis typed by a reader is ever read as syntax.
//
// The language: words (each must match), "quoted phrases", from:WORD or from:"a phrase"
// (the author column: name and address), subject:WORD or subject:"a phrase". Terms are
// ANDed. Input is cut to max_query_bytes and max_query_terms so that a query costs
// bounded work.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qm::web::server {

inline constexpr size_t max_query_bytes = 512;
inline constexpr size_t max_query_terms = 16;

// The FTS5 expression for query; "" when the query has no term (nothing to search).
[[nodiscard]] std::string fts5_query(std::string_view query);

} // namespace qm::web::server

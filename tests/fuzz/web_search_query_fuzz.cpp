// Fuzzes the archive's search language (fts5_query): whatever a reader types, the FTS5
// expression it becomes must be valid, so the input is run as a MATCH against a real
// in-memory FTS5 table built like the index's, and any SQLite error is a failure (the
// server would answer it with an error page, and a parser that lets syntax through is one
// a reader can steer). The expression also stays within the parser's bounds, and the
// dates of d: ranges (bounds on the date column, never FTS5 text) are whole days of years
// 1900 to 9999.
#include "fuzz_check.hpp"
#include "qm/web/index/text.hpp"
#include "qm/web/server/query.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

sqlite3* table() {
    static sqlite3* db = [] {
        sqlite3* d = nullptr;
        QM_FUZZ_CHECK(sqlite3_open(":memory:", &d) == SQLITE_OK);
        QM_FUZZ_CHECK(sqlite3_exec(d,
                                   "CREATE VIRTUAL TABLE search USING fts5(subject, author, body, "
                                   "tokenize = 'unicode61 remove_diacritics 2');"
                                   "INSERT INTO search VALUES('Cafe plans', 'Joe j@far.example', "
                                   "'shall we meet at eight');",
                                   nullptr, nullptr, nullptr) == SQLITE_OK);
        return d;
    }();
    return db;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto query = qm::web::server::parse_query(in);
    const std::string& expr = query.fts5;
    QM_FUZZ_CHECK(expr == qm::web::server::fts5_query(in));
    constexpr std::int64_t first = -2208988800; // 1900-01-01
    constexpr std::int64_t last = 253402300800; // 10000-01-01
    for (const auto& bound : {query.since, query.until}) {
        if (!bound)
            continue;
        QM_FUZZ_CHECK(*bound % 86400 == 0);
        QM_FUZZ_CHECK(*bound >= first && *bound <= last);
    }
    QM_FUZZ_CHECK(qm::web::is_valid_utf8(expr));
    // Each of at most max_query_terms terms: its bytes, doubled quotes, a column name.
    QM_FUZZ_CHECK(expr.size() <=
                  2 * qm::web::server::max_query_bytes + qm::web::server::max_query_terms * 20);
    if (expr.empty())
        return 0;
    sqlite3_stmt* s = nullptr;
    QM_FUZZ_CHECK(sqlite3_prepare_v2(table(), "SELECT count(*) FROM search WHERE search MATCH ?1",
                                     -1, &s, nullptr) == SQLITE_OK);
    sqlite3_bind_text(s, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    QM_FUZZ_CHECK(rc == SQLITE_ROW);
    return 0;
}

#include "sqlite.hpp"

namespace qm::web::sql {

namespace {

[[noreturn]] void raise(sqlite3* db, int code, std::string_view doing) {
    std::string what(doing);
    what += ": ";
    what += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    throw Error(code, what);
}

} // namespace

Failure failure_of(const Error& e, std::string_view path) {
    const int primary = e.code() & 0xFF;
    std::string text = std::string(path) + ": " + e.what();
    switch (primary) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return perm("5.3.0", text + " (ezmlm-webindex --rebuild makes it anew)");
    case SQLITE_FULL:
        return temp("4.3.1", text);
    default:
        // Busy, locked, I/O, out of memory, cannot open: the next run tries again.
        return temp("4.3.0", text);
    }
}

Statement::Statement(sqlite3* db, std::string_view text)
    : db_(db) {
    const int rc = sqlite3_prepare_v3(db, text.data(), static_cast<int>(text.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK)
        raise(db, rc, "unable to prepare a statement");
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int i, std::int64_t v) {
    if (const int rc = sqlite3_bind_int64(stmt_, i, v); rc != SQLITE_OK)
        raise(db_, rc, "unable to bind");
    return *this;
}

Statement& Statement::bind(int i, std::string_view v) {
    if (const int rc =
            sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        rc != SQLITE_OK)
        raise(db_, rc, "unable to bind");
    return *this;
}

Statement& Statement::bind_null(int i) {
    if (const int rc = sqlite3_bind_null(stmt_, i); rc != SQLITE_OK)
        raise(db_, rc, "unable to bind");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    const std::string what = std::string("unable to run a statement: ") + sqlite3_errmsg(db_);
    sqlite3_reset(stmt_);
    throw Error(rc, what);
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string Statement::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    const int n = sqlite3_column_bytes(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
             : std::string{};
}

Connection::Connection(const std::string& path) {
    const int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string what = "unable to open: ";
        what += db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error(rc, what);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
    sqlite3_close_v2(db_);
}

void Connection::exec(std::string_view sql) {
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string what = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw Error(rc, what);
    }
}

} // namespace qm::web::sql

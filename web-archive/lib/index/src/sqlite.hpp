// A thin RAII layer over SQLite's C API for the index: a connection, prepared statements
// that reset themselves, and errors as exceptions carrying SQLite's code, which the
// index's public functions turn into temporary or permanent failures in one place
// (failure_of). Private to the library.
#pragma once

#include "qm/result.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace qm::web::sql {

class Error : public std::runtime_error {
public:
    Error(int code, const std::string& what)
        : std::runtime_error(what)
        , code_(code) {}
    [[nodiscard]] int code() const { return code_; }

private:
    int code_;
};

// SQLITE_BUSY, a full disk, I/O trouble: temporary (the next run completes the work); a
// database that is not one or is corrupt: permanent until someone rebuilds it.
[[nodiscard]] Failure failure_of(const Error& e, std::string_view path);

class Statement {
public:
    Statement(sqlite3* db, std::string_view text);
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Binds by position, 1 first; returns *this for chaining.
    Statement& bind(int i, std::int64_t v);
    Statement& bind(int i, std::string_view v);
    Statement& bind_null(int i);
    Statement& bind(int i, std::optional<std::int64_t> v) { return v ? bind(i, *v) : bind_null(i); }
    // Steps once: true when a row is there.
    bool step();
    // Steps to the end (a statement without rows) and resets.
    void run();
    // Back to the start, bindings cleared.
    void reset();

    [[nodiscard]] std::int64_t integer(int column) const;
    [[nodiscard]] bool is_null(int column) const;
    [[nodiscard]] std::string text(int column) const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
public:
    // Opens (creating) path; throws Error.
    explicit Connection(const std::string& path);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    void exec(std::string_view sql);
    [[nodiscard]] sqlite3* get() const { return db_; }
    [[nodiscard]] std::int64_t changes() const { return sqlite3_changes64(db_); }

private:
    sqlite3* db_ = nullptr;
};

} // namespace qm::web::sql

// One list's index read by the server: a read-only SQLite connection, kept by the pool
// thread between requests (archive.cpp says when one is used again), and the queries the
// pages need. Private to the library.
//
// Reading another user's WAL database read-only: SQLite (>= 3.22) opens it with
// SQLITE_OPEN_READONLY, mapping -shm read-only, when -wal and -shm exist; the indexer keeps
// both (SQLITE_FCNTL_PERSIST_WAL, mode 0644), so readers and the indexer share the WAL's
// locks as usual. An index written before the indexer kept them has none once its last
// connection closed, and then the database file alone is the whole index: the server opens
// it with immutable=1. Such a read that meets a checkpoint (the indexer started meanwhile)
// fails with an error and the request is answered 503, never wrongly.
#pragma once

#include "qm/result.hpp"
#include "qm/web/index/index.hpp"
#include "qm/web/server/query.hpp"

#include <sqlite3.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qm::web::sql {
class Statement; // ../index/src/sqlite.hpp
}

namespace qm::web::server {

struct ThreadSummary {
    ThreadRow thread;
    std::string root_message_id;
    std::string last_from_name;
};

struct MessageView {
    MessageRow row;
    std::string body;
};

struct SearchHit {
    MessageRow row;
    std::string snippet; // with \x01 before and \x02 after each match
};

struct ThreadEntry {
    MessageRow row;
    unsigned depth = 0;
};

struct MonthCount {
    int year = 0;
    unsigned month = 0; // 1 to 12
    unsigned long messages = 0;
};

struct MonthThread {
    ThreadSummary summary;
    unsigned long in_month = 0; // its messages dated in the month
};

struct Author {
    std::string address, name;
    unsigned long messages = 0;
    unsigned long first_msgnum = 0; // names the author in URLs without their address
    std::int64_t last_date = 0;
};

enum class Order { date, relevance };

class ListArchive {
public:
    [[nodiscard]] static Result<ListArchive> open(const std::string& list_dir);
    // The highest message number indexed: the pages of a list change only with it.
    [[nodiscard]] Result<std::int64_t> version();
    ListArchive(ListArchive&&) noexcept;
    ListArchive& operator=(ListArchive&&) noexcept;
    ~ListArchive();

    // Threads by their latest message, newest first.
    [[nodiscard]] Result<std::vector<ThreadSummary>> latest_threads(unsigned long offset,
                                                                    unsigned long limit);
    [[nodiscard]] Result<std::vector<MessageRow>> latest_messages(unsigned long limit);
    [[nodiscard]] Result<std::optional<MessageView>> message(std::string_view message_id);
    // Message msgnum, only when it has no Message-ID (its URL is then by number).
    [[nodiscard]] Result<std::optional<MessageView>> message_without_id(unsigned long msgnum);
    [[nodiscard]] Result<std::string> body(unsigned long msgnum);
    [[nodiscard]] Result<std::vector<Attachment>> attachments(unsigned long msgnum);
    // The thread's messages in display order (depth first, children by date).
    [[nodiscard]] Result<std::vector<ThreadEntry>> thread(unsigned long thread);
    // The messages query matches within its dates, newest first or best first (FTS5's
    // bm25, a match in the subject counting three times one in the text). A query of
    // dates alone lists the messages of those dates, without snippets.
    [[nodiscard]] Result<std::vector<SearchHit>> search(const SearchQuery& query, Order order,
                                                        unsigned long offset, unsigned long limit);
    // Messages per month (by their Date, in UTC), newest month first; undated messages
    // are in no month.
    [[nodiscard]] Result<std::vector<MonthCount>> months();
    // The threads with messages dated in [since, until), by their latest such message.
    [[nodiscard]] Result<std::vector<MonthThread>> threads_between(std::int64_t since,
                                                                   std::int64_t until,
                                                                   unsigned long offset,
                                                                   unsigned long limit);
    // Messages dated in [since, until) by date, oldest first.
    [[nodiscard]] Result<std::vector<MessageRow>>
    messages_between(std::int64_t since, std::int64_t until, unsigned long limit);
    // Authors (by From address) by their number of messages, most first.
    [[nodiscard]] Result<std::vector<Author>> authors(unsigned long offset, unsigned long limit);
    // The author of message msgnum (none: no such message) and their messages, newest
    // first.
    [[nodiscard]] Result<std::optional<std::pair<Author, std::vector<MessageRow>>>>
    author(unsigned long msgnum, unsigned long offset, unsigned long limit);

private:
    ListArchive(sqlite3* db, bool owned);
    // The first message (with its text) where the SQL condition holds, its parameters
    // bound by bind.
    [[nodiscard]] Result<std::optional<MessageView>>
    view(const char* where, const std::function<void(sql::Statement&)>& bind);
    sqlite3* db_ = nullptr;
    bool owned_ = true; // else a connection the thread keeps (archive.cpp)
};

} // namespace qm::web::server

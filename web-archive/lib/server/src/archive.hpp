// One list's index read by the server: a read-only SQLite connection per request and
// the queries the pages need. Private to the library.
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

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

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

class ListArchive {
public:
    [[nodiscard]] static Result<ListArchive> open(const std::string& list_dir);
    ListArchive(ListArchive&&) noexcept;
    ListArchive& operator=(ListArchive&&) noexcept;
    ~ListArchive();

    // Threads by their latest message, newest first.
    [[nodiscard]] Result<std::vector<ThreadSummary>> latest_threads(unsigned long offset,
                                                                    unsigned long limit);
    [[nodiscard]] Result<std::vector<MessageRow>> latest_messages(unsigned long limit);
    [[nodiscard]] Result<std::optional<MessageView>> message(std::string_view message_id);
    [[nodiscard]] Result<std::string> body(unsigned long msgnum);
    [[nodiscard]] Result<std::vector<Attachment>> attachments(unsigned long msgnum);
    // The thread's messages in display order (depth first, children by date).
    [[nodiscard]] Result<std::vector<ThreadEntry>> thread(unsigned long thread);
    [[nodiscard]] Result<std::vector<SearchHit>> search(const std::string& fts5,
                                                        unsigned long offset, unsigned long limit);

private:
    explicit ListArchive(sqlite3* db);
    sqlite3* db_ = nullptr;
};

} // namespace qm::web::server

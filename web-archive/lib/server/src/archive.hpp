// One list's index read by the server: a read-only SQLite connection per request and
// the queries the pages need. Private to the library.
//
// Reading another user's WAL database read-only: while the indexer has the database
// open, its -wal and -shm files exist (mode 0644) and SQLITE_OPEN_READONLY works even
// though the server cannot write -shm (SQLite >= 3.22 maps it read-only). When no
// connection is open SQLite has removed both files, and a read-only connection that
// cannot create -shm fails ("attempt to write a readonly database"). Then nothing is in
// a WAL and the database file alone is the whole index, so the server opens it with
// immutable=1. An indexer starting while such a read is under way cannot change the
// pages being read until it checkpoints (after 1000 pages of WAL); a read that does meet
// a checkpoint fails with an error and the request is answered 503, never wrongly.
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

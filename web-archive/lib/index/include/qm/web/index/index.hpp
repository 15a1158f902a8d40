// The web archive's index of one list: a SQLite database at LISTDIR/webarchive/index.sqlite
// holding, per archived message, what index_message (message.hpp) found, its place in a
// thread, and an FTS5 full-text index over subject, author and text.
//
// Per list, not per mail root: the indexer runs from the list's .qmail as the list's
// owner, who can write in the list directory; one database for a mail root would need a
// file every list owner can write (and so corrupt or read for the others' lists), and a
// private list's messages would share a file with public ones. A list's index goes
// with its directory when the list is moved, copied or removed.
//
// WAL journal: readers (the web server) never block the indexer and see the state of
// the last committed batch. Each batch is one transaction that also records the highest
// message number indexed (last_indexed), so a kill at any point leaves a database that
// opens and says exactly which messages it holds; the next run goes on from there.
//
// Threads follow JWZ's algorithm (https://www.jwz.org/doc/threading.html), incrementally:
// a message joins every thread that holds a message it references (References, then
// In-Reply-To as the last reference), that holds a message referencing it (a reply that
// arrived first), or that references an ID it references too (siblings under a missing
// parent, JWZ's empty containers); those threads are merged. Its parent is the nearest
// message present along its references, newest first (JWZ's pruning of empty containers
// promotes a child past its missing parent); replies indexed before it are re-parented
// to it when it is nearer. A link that would close a loop is not made. The subject is
// the fallback, as in JWZ's grouping of the root set: a reply ("Re: ...", by ezmlm-idx's
// subject normalisation, list prefix removed) none of whose references is present goes
// under the first non-reply message of its subject in its thread, and when nothing it
// references is known at all it first joins the latest thread of its subject within
// subject_window; a non-reply that starts a thread gathers the replies of its subject
// left without a parent (within subject_window either side) that were indexed before
// it. Two non-replies with the same subject stay apart (JWZ would merge them; on a list,
// "Question" twice is two questions). Parents and threads so come out the same whatever
// order the messages are indexed in, except where the subject window or two threads of
// one subject make the order count.
#pragma once

#include "qm/result.hpp"
#include "qm/web/index/message.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::web {

inline constexpr int index_schema_version = 1;
// How far apart in time a reply and its thread may be for the subject fallback.
inline constexpr std::int64_t subject_window = 60L * 86400;

// LISTDIR/webarchive/index.sqlite.
[[nodiscard]] std::string index_path(const std::string& list_dir);

struct MessageRow {
    unsigned long msgnum = 0;
    std::string message_id;
    std::int64_t date = 0;
    std::string from_name, from_address, subject;
    unsigned long thread = 0;
    std::optional<unsigned long> parent;
    std::uint64_t size = 0;
    unsigned attachments = 0;
    bool truncated = false;
};

struct ThreadRow {
    unsigned long id = 0;   // the number of the message that started it
    unsigned long root = 0; // its first message without a parent
    std::string subject;    // the root's
    std::int64_t first_date = 0, last_date = 0;
    unsigned long messages = 0;
};

struct IndexCounts {
    unsigned long messages = 0, threads = 0, missing = 0, searchable = 0, attachments = 0;
};

class Index {
public:
    // Opens the database at path, creating it (and its schema) when missing; a database
    // of an older schema is made anew (empty: the next run fills it), one of a newer
    // schema is a permanent failure. subject_prefix is the list's (dir/prefix), which
    // the subject fallback leaves out.
    [[nodiscard]] static Result<Index> open(const std::string& path,
                                            std::string subject_prefix = "");
    Index(Index&&) noexcept;
    Index& operator=(Index&&) noexcept;
    ~Index();

    // A batch: begin takes the write lock (BEGIN IMMEDIATE, waiting for busy_timeout);
    // commit records last as the highest message number indexed and commits.
    [[nodiscard]] Status begin();
    [[nodiscard]] Status commit(unsigned long last);
    void rollback();
    // Every table dropped and made anew, last_indexed 0, in one transaction.
    [[nodiscard]] Status reset();
    // The WAL written back into the database and cut to zero bytes, when no reader is in
    // the middle of a read (else left for the next run). A reader opening the index reads
    // the whole WAL first (the server opens it per request): 8 MiB after indexing 20,000
    // messages cost every page ~11 ms.
    void truncate_wal() noexcept;

    // Within a batch: message msgnum indexed and threaded. A number already there is left
    // as it is (running twice changes nothing).
    [[nodiscard]] Status add(unsigned long msgnum, const IndexedMessage& m);
    // Within a batch: msgnum is not in the archive (removed, or never archived): why.
    [[nodiscard]] Status add_missing(unsigned long msgnum, std::string_view why);

    [[nodiscard]] Result<unsigned long> last_indexed();
    [[nodiscard]] Result<std::optional<MessageRow>> message(unsigned long msgnum);
    [[nodiscard]] Result<std::optional<MessageRow>> message_by_id(std::string_view message_id);
    [[nodiscard]] Result<std::optional<ThreadRow>> thread(unsigned long id);
    // A thread's messages by date.
    [[nodiscard]] Result<std::vector<unsigned long>> thread_messages(unsigned long id);
    [[nodiscard]] Result<std::vector<Attachment>> attachments(unsigned long msgnum);
    // The messages an FTS5 query matches (subject, author, body columns), best first.
    [[nodiscard]] Result<std::vector<unsigned long>> search(std::string_view fts5_query);
    [[nodiscard]] Result<IndexCounts> counts();
    // PRAGMA integrity_check's verdict: "ok" or what is wrong.
    [[nodiscard]] Result<std::string> integrity();

    struct Impl;

private:
    explicit Index(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace qm::web

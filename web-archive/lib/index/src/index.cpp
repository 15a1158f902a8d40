#include "qm/web/index/index.hpp"

#include "qm/lists/archive/archive_index.hpp"
#include "sqlite.hpp"

#include <functional>
#include <set>

namespace qm::web {

namespace {

constexpr std::string_view schema = R"sql(
CREATE TABLE schema_version(version INTEGER NOT NULL);
CREATE TABLE state(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE messages(
  msgnum INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  date INTEGER NOT NULL,
  from_name TEXT NOT NULL,
  from_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  subject_key TEXT NOT NULL,
  is_reply INTEGER NOT NULL,
  thread INTEGER NOT NULL,
  parent INTEGER,
  in_reply_to TEXT NOT NULL,
  size INTEGER NOT NULL,
  attachments INTEGER NOT NULL,
  truncated INTEGER NOT NULL,
  broken_mime INTEGER NOT NULL);
CREATE INDEX messages_by_id ON messages(message_id);
CREATE INDEX messages_by_thread ON messages(thread, date);
CREATE INDEX messages_by_date ON messages(date);
CREATE INDEX messages_by_subject ON messages(subject_key, date);
CREATE INDEX messages_by_author ON messages(from_address, date);
CREATE INDEX messages_by_parent ON messages(parent);
CREATE TABLE refs(
  msgnum INTEGER NOT NULL,
  position INTEGER NOT NULL,
  ref TEXT NOT NULL,
  PRIMARY KEY(msgnum, position)) WITHOUT ROWID;
CREATE INDEX refs_by_ref ON refs(ref);
CREATE TABLE attachments(
  msgnum INTEGER NOT NULL,
  part INTEGER NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY(msgnum, part)) WITHOUT ROWID;
CREATE TABLE threads(
  id INTEGER PRIMARY KEY,
  root INTEGER NOT NULL,
  subject TEXT NOT NULL,
  first_date INTEGER NOT NULL,
  last_date INTEGER NOT NULL,
  messages INTEGER NOT NULL);
CREATE INDEX threads_by_last ON threads(last_date);
CREATE TABLE missing(msgnum INTEGER PRIMARY KEY, why TEXT NOT NULL);
CREATE VIRTUAL TABLE search USING fts5(subject, author, body,
  tokenize = 'unicode61 remove_diacritics 2');
)sql";

constexpr std::string_view drop_all = R"sql(
DROP TABLE IF EXISTS search;
DROP TABLE IF EXISTS missing;
DROP TABLE IF EXISTS threads;
DROP TABLE IF EXISTS attachments;
DROP TABLE IF EXISTS refs;
DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS state;
DROP TABLE IF EXISTS schema_version;
)sql";

// How far up a parent chain a loop check looks; deeper threads are not a loop.
constexpr int max_ancestry = 100000;

// The subject as threads compare it: ezmlm-idx's normalisation (reply markers and the
// list prefix off), ASCII letters in lower case, blanks made single spaces.
struct SubjectKey {
    std::string key;
    bool reply = false;
};
SubjectKey subject_key(std::string_view subject, std::string_view prefix) {
    const auto n = qm::lists::normalise_subject(subject, prefix);
    SubjectKey k;
    k.reply = n.reply;
    for (char c : n.text) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (!k.key.empty() && k.key.back() != ' ')
                k.key += ' ';
            continue;
        }
        k.key += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    while (!k.key.empty() && k.key.back() == ' ')
        k.key.pop_back();
    return k;
}

using Id = std::int64_t;

} // namespace

std::string index_path(const std::string& list_dir) {
    return list_dir + "/webarchive/index.sqlite";
}

struct Index::Impl {
    std::string path;
    std::string prefix;
    sql::Connection db;
    bool in_transaction = false;

    // Prepared once: the indexer runs them for every message.
    std::unique_ptr<sql::Statement> exists, insert_message, insert_ref, insert_attachment,
        insert_search, insert_missing, thread_by_id, thread_by_ref, earliest_by_id, parent_of,
        refs_of, referrers, latest_by_subject, first_starter, orphans, move_thread, drop_thread,
        set_parent, count_thread, root_of, upsert_thread, bump_thread, set_state;

    Impl(std::string p, std::string pre)
        : path(std::move(p))
        , prefix(std::move(pre))
        , db(path) {}

    void prepare() {
        auto make = [&](std::string_view text) {
            return std::make_unique<sql::Statement>(db.get(), text);
        };
        exists = make("SELECT 1 FROM messages WHERE msgnum = ?1");
        insert_message = make(
            "INSERT INTO messages(msgnum, message_id, date, from_name, from_address, subject, "
            "subject_key, is_reply, thread, parent, in_reply_to, size, attachments, truncated, "
            "broken_mime) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
            "?15)");
        insert_ref = make("INSERT INTO refs(msgnum, position, ref) VALUES(?1, ?2, ?3)");
        insert_attachment = make("INSERT INTO attachments(msgnum, part, filename, content_type, "
                                 "size) VALUES(?1, ?2, ?3, ?4, ?5)");
        insert_search =
            make("INSERT INTO search(rowid, subject, author, body) VALUES(?1, ?2, ?3, ?4)");
        insert_missing = make("INSERT OR REPLACE INTO missing(msgnum, why) VALUES(?1, ?2)");
        // Messages that share an ID are in one thread already (each message joins, and
        // merges, every thread it shares an ID with), so one row tells the thread: the
        // replies to a thread's root, referencing it all, are not read again for each new
        // reply.
        thread_by_id = make("SELECT thread FROM messages WHERE message_id = ?1 LIMIT 1");
        thread_by_ref = make("SELECT m.thread FROM refs r JOIN messages m "
                             "ON m.msgnum = r.msgnum WHERE r.ref = ?1 LIMIT 1");
        earliest_by_id =
            make("SELECT msgnum FROM messages WHERE message_id = ?1 ORDER BY msgnum LIMIT 1");
        parent_of = make("SELECT parent FROM messages WHERE msgnum = ?1");
        refs_of = make("SELECT ref FROM refs WHERE msgnum = ?1 ORDER BY position");
        referrers = make("SELECT DISTINCT msgnum FROM refs WHERE ref = ?1");
        latest_by_subject = make("SELECT thread FROM messages WHERE subject_key = ?1 AND "
                                 "date >= ?2 ORDER BY date DESC, msgnum DESC LIMIT 1");
        first_starter = make("SELECT msgnum FROM messages WHERE thread = ?1 AND "
                             "subject_key = ?2 AND is_reply = 0 ORDER BY date, msgnum LIMIT 1");
        orphans = make("SELECT msgnum, thread FROM messages WHERE subject_key = ?1 AND "
                       "is_reply = 1 AND parent IS NULL AND date >= ?2 AND date <= ?3 AND "
                       "msgnum <> ?4 LIMIT 1000");
        move_thread = make("UPDATE messages SET thread = ?1 WHERE thread = ?2");
        drop_thread = make("DELETE FROM threads WHERE id = ?1");
        set_parent = make("UPDATE messages SET parent = ?2 WHERE msgnum = ?1");
        count_thread =
            make("SELECT COUNT(*), MIN(date), MAX(date) FROM messages WHERE thread = ?1");
        root_of = make("SELECT msgnum, subject FROM messages WHERE thread = ?1 AND parent IS NULL "
                       "ORDER BY date, msgnum LIMIT 1");
        upsert_thread = make("INSERT OR REPLACE INTO threads(id, root, subject, first_date, "
                             "last_date, messages) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
        bump_thread = make("UPDATE threads SET messages = messages + 1, first_date = "
                           "min(first_date, ?2), last_date = max(last_date, ?2) WHERE id = ?1");
        set_state = make("INSERT OR REPLACE INTO state(key, value) VALUES(?1, ?2)");
    }

    void finalize_statements() {
        for (auto* s : {&exists,
                        &insert_message,
                        &insert_ref,
                        &insert_attachment,
                        &insert_search,
                        &insert_missing,
                        &thread_by_id,
                        &thread_by_ref,
                        &earliest_by_id,
                        &parent_of,
                        &refs_of,
                        &referrers,
                        &latest_by_subject,
                        &first_starter,
                        &orphans,
                        &move_thread,
                        &drop_thread,
                        &set_parent,
                        &count_thread,
                        &root_of,
                        &upsert_thread,
                        &bump_thread,
                        &set_state})
            s->reset();
    }

    std::optional<Id> single(sql::Statement& s) {
        std::optional<Id> v;
        if (s.step() && !s.is_null(0))
            v = s.integer(0);
        s.reset();
        return v;
    }

    // Whether a is p or one of p's ancestors.
    bool ancestor_or_self(Id a, Id p) {
        for (int steps = 0; steps < max_ancestry; ++steps) {
            if (p == a)
                return true;
            parent_of->bind(1, p);
            auto up = single(*parent_of);
            if (!up)
                return false;
            p = *up;
        }
        return true; // deeper than any thread: treat as a loop rather than walk forever
    }

    // The nearest message present along refs (newest first) that can be self's parent
    // without closing a loop. A message not yet in the index has no descendants, so no
    // link to it can close one: the walk up a deep thread is saved for messages that do.
    std::optional<Id> nearest_present(const std::vector<std::string>& refs, Id self,
                                      bool has_descendants = true) {
        for (auto it = refs.rbegin(); it != refs.rend(); ++it) {
            earliest_by_id->bind(1, *it);
            auto p = single(*earliest_by_id);
            if (p && *p != self && (!has_descendants || !ancestor_or_self(self, *p)))
                return p;
        }
        return std::nullopt;
    }

    std::vector<std::string> stored_refs(Id msgnum) {
        std::vector<std::string> refs;
        refs_of->bind(1, msgnum);
        while (refs_of->step())
            refs.push_back(refs_of->text(0));
        refs_of->reset();
        return refs;
    }

    void collect(sql::Statement& s, std::string_view key, std::set<Id>& into) {
        s.bind(1, key);
        while (s.step())
            into.insert(s.integer(0));
        s.reset();
    }

    void refresh_thread(Id thread, bool recount, std::int64_t date) {
        root_of->bind(1, thread);
        Id root = thread;
        std::string subject;
        if (root_of->step()) {
            root = root_of->integer(0);
            subject = root_of->text(1);
        }
        root_of->reset();
        if (!recount) {
            bump_thread->bind(1, thread).bind(2, date);
            bump_thread->run();
            if (db.changes() > 0) {
                // Only root and subject can have changed besides the counts.
                sql::Statement s(db.get(), "UPDATE threads SET root = ?2, subject = ?3 "
                                           "WHERE id = ?1");
                s.bind(1, thread).bind(2, root).bind(3, subject);
                s.run();
                return;
            }
        }
        count_thread->bind(1, thread);
        count_thread->step();
        const Id n = count_thread->integer(0);
        const Id first = count_thread->integer(1), last = count_thread->integer(2);
        count_thread->reset();
        upsert_thread->bind(1, thread)
            .bind(2, root)
            .bind(3, subject)
            .bind(4, first)
            .bind(5, last)
            .bind(6, n);
        upsert_thread->run();
    }

    void add(Id msgnum, const IndexedMessage& m) {
        exists->bind(1, msgnum);
        const bool there = exists->step();
        exists->reset();
        if (there)
            return;
        const SubjectKey key = subject_key(m.subject, prefix);

        // JWZ's containers: every thread that shares an ID with this message.
        std::set<Id> related;
        std::vector<std::string> ids = m.references;
        if (!m.message_id.empty())
            ids.push_back(m.message_id);
        for (const auto& id : ids) {
            collect(*thread_by_id, id, related);
            collect(*thread_by_ref, id, related);
        }
        std::optional<Id> parent = nearest_present(m.references, msgnum, false);
        // A reply no reference places: JWZ's subject grouping of the root set.
        const bool by_subject = !parent && key.reply && !key.key.empty();
        if (by_subject && related.empty()) {
            latest_by_subject->bind(1, key.key).bind(2, m.date - subject_window);
            if (auto t = single(*latest_by_subject))
                related.insert(*t);
        }
        const Id thread = related.empty() ? msgnum : *related.begin();

        insert_message->bind(1, msgnum)
            .bind(2, m.message_id)
            .bind(3, m.date)
            .bind(4, m.from_name)
            .bind(5, m.from_address)
            .bind(6, m.subject)
            .bind(7, key.key)
            .bind(8, std::int64_t{key.reply})
            .bind(9, thread)
            .bind(10, parent)
            .bind(11, m.in_reply_to)
            .bind(12, static_cast<std::int64_t>(m.size))
            .bind(13, static_cast<std::int64_t>(m.attachments.size()))
            .bind(14, std::int64_t{m.truncated})
            .bind(15, std::int64_t{m.broken_mime});
        insert_message->run();
        for (size_t i = 0; i < m.references.size(); ++i) {
            insert_ref->bind(1, msgnum)
                .bind(2, static_cast<std::int64_t>(i))
                .bind(3, m.references[i]);
            insert_ref->run();
        }
        for (const auto& a : m.attachments) {
            insert_attachment->bind(1, msgnum)
                .bind(2, std::int64_t{a.part})
                .bind(3, a.filename)
                .bind(4, a.content_type)
                .bind(5, static_cast<std::int64_t>(a.size));
            insert_attachment->run();
        }
        std::string author = m.from_name;
        if (!m.from_address.empty())
            author += (author.empty() ? "" : " ") + m.from_address;
        insert_search->bind(1, msgnum).bind(2, m.subject).bind(3, author).bind(4, m.body_text);
        insert_search->run();

        bool recount = false;
        auto merge = [&](Id other) {
            if (other == thread)
                return;
            move_thread->bind(1, thread).bind(2, other);
            move_thread->run();
            drop_thread->bind(1, other);
            drop_thread->run();
            recount = true;
        };
        for (Id t : related)
            merge(t);

        // Replies indexed before this message: it may be nearer to them than the
        // parent they have.
        if (!m.message_id.empty()) {
            std::set<Id> children;
            collect(*referrers, m.message_id, children);
            for (Id c : children) {
                if (c == msgnum)
                    continue;
                auto p = nearest_present(stored_refs(c), c);
                parent_of->bind(1, c);
                auto current = single(*parent_of);
                if (p != current) {
                    set_parent->bind(1, c).bind(2, p);
                    set_parent->run();
                    recount = true;
                }
            }
        }
        // Under the thread's first post of its subject that is no reply, whether the
        // thread was found by subject or by a reference to a message that is missing
        // (JWZ: that empty container goes under the root of the same subject).
        if (by_subject) {
            first_starter->bind(1, thread).bind(2, key.key);
            if (auto p = single(*first_starter);
                p && *p != msgnum && !ancestor_or_self(msgnum, *p)) {
                set_parent->bind(1, msgnum).bind(2, *p);
                set_parent->run();
                recount = true;
            }
        }
        // A thread starter gathers the replies to its subject that came before it.
        if (!key.reply && !parent && !key.key.empty()) {
            std::vector<std::pair<Id, Id>> found;
            // Either side in time: a post held for moderation may be answered (in a
            // message dated after it) before it is sent and archived.
            orphans->bind(1, key.key)
                .bind(2, m.date - subject_window)
                .bind(3, m.date + subject_window)
                .bind(4, msgnum);
            while (orphans->step())
                found.emplace_back(orphans->integer(0), orphans->integer(1));
            orphans->reset();
            for (auto [o, t] : found) {
                merge(t);
                set_parent->bind(1, o).bind(2, msgnum);
                set_parent->run();
                recount = true;
            }
        }
        refresh_thread(thread, recount, m.date);
    }
};

Index::Index(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
Index::Index(Index&&) noexcept = default;
Index& Index::operator=(Index&&) noexcept = default;
Index::~Index() {
    if (impl_ && impl_->in_transaction)
        rollback();
}

namespace {

// Runs work, turning SQLite's errors into failures.
template <class T>
Result<T> guarded(const std::string& path, const std::function<T()>& work) {
    try {
        if constexpr (std::is_void_v<T>) {
            work();
            return {};
        } else {
            return work();
        }
    } catch (const sql::Error& e) {
        return fail(sql::failure_of(e, path));
    }
}

std::optional<int> stored_version(sql::Connection& db) {
    sql::Statement probe(db.get(), "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                   "AND name = 'schema_version'");
    probe.step();
    if (probe.integer(0) == 0)
        return std::nullopt;
    sql::Statement version(db.get(), "SELECT max(version) FROM schema_version");
    if (!version.step() || version.is_null(0))
        return std::nullopt;
    return static_cast<int>(version.integer(0));
}

void create_schema(sql::Connection& db) {
    db.exec(drop_all);
    db.exec(schema);
    sql::Statement v(db.get(), "INSERT INTO schema_version(version) VALUES(?1)");
    v.bind(1, std::int64_t{index_schema_version});
    v.run();
    db.exec("INSERT INTO state(key, value) VALUES('last_indexed', 0)");
}

} // namespace

Result<Index> Index::open(const std::string& path, std::string subject_prefix) {
    return guarded<Index>(path, [&]() -> Index {
        auto impl = std::make_unique<Impl>(path, std::move(subject_prefix));
        auto& db = impl->db;
        // Another indexer may hold the write lock: wait for it rather than fail.
        sqlite3_busy_timeout(db.get(), 20000);
        db.exec("PRAGMA journal_mode = WAL");
        // The -wal and -shm files stay when the last connection closes: the web server
        // reads as a user who cannot create them, and SQLite only opens a WAL database
        // read-only without immutable=1 when both exist (README.md).
        int persist = 1;
        sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        // In WAL mode NORMAL loses no committed batch on a crash of the process, and at
        // worst the last batches on a power cut, which the next run indexes again.
        db.exec("PRAGMA synchronous = NORMAL");
        auto version = stored_version(db);
        if (!version || *version < index_schema_version) {
            db.exec("BEGIN IMMEDIATE");
            try {
                // Another process may have made it meanwhile.
                version = stored_version(db);
                if (!version || *version < index_schema_version)
                    create_schema(db);
                db.exec("COMMIT");
            } catch (...) {
                sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
                throw;
            }
        }
        if (version && *version > index_schema_version)
            throw sql::Error(SQLITE_NOTADB, "made by a newer indexer (schema " +
                                                std::to_string(*version) + ", this one knows " +
                                                std::to_string(index_schema_version) + ")");
        impl->prepare();
        return Index(std::move(impl));
    });
}

Status Index::begin() {
    return guarded<void>(impl_->path, [&] {
        impl_->db.exec("BEGIN IMMEDIATE");
        impl_->in_transaction = true;
    });
}

Status Index::commit(unsigned long last) {
    return guarded<void>(impl_->path, [&] {
        impl_->set_state->bind(1, std::string_view("last_indexed"))
            .bind(2, static_cast<std::int64_t>(last));
        impl_->set_state->run();
        impl_->db.exec("COMMIT");
        impl_->in_transaction = false;
    });
}

void Index::truncate_wal() noexcept {
    // Briefly: the indexer runs for every post, and a busy reader only postpones this.
    sqlite3_busy_timeout(impl_->db.get(), 200);
    sqlite3_exec(impl_->db.get(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_busy_timeout(impl_->db.get(), 20000);
}

void Index::rollback() {
    impl_->finalize_statements();
    sqlite3_exec(impl_->db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    impl_->in_transaction = false;
}

Status Index::reset() {
    return guarded<void>(impl_->path, [&] {
        auto& impl = *impl_;
        // The prepared statements name the tables about to go.
        impl.finalize_statements();
        impl.db.exec("BEGIN IMMEDIATE");
        try {
            create_schema(impl.db);
            impl.db.exec("COMMIT");
        } catch (...) {
            sqlite3_exec(impl.db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
        impl.prepare();
    });
}

Status Index::add(unsigned long msgnum, const IndexedMessage& m) {
    return guarded<void>(impl_->path, [&] { impl_->add(static_cast<Id>(msgnum), m); });
}

Status Index::add_missing(unsigned long msgnum, std::string_view why) {
    return guarded<void>(impl_->path, [&] {
        impl_->insert_missing->bind(1, static_cast<Id>(msgnum)).bind(2, why);
        impl_->insert_missing->run();
    });
}

Result<unsigned long> Index::last_indexed() {
    return guarded<unsigned long>(impl_->path, [&] {
        sql::Statement s(impl_->db.get(), "SELECT value FROM state WHERE key = 'last_indexed'");
        return s.step() ? static_cast<unsigned long>(s.integer(0)) : 0UL;
    });
}

namespace {

constexpr std::string_view message_columns =
    "SELECT msgnum, message_id, date, from_name, from_address, subject, thread, parent, size, "
    "attachments, truncated FROM messages ";

MessageRow message_row(const sql::Statement& s) {
    MessageRow r;
    r.msgnum = static_cast<unsigned long>(s.integer(0));
    r.message_id = s.text(1);
    r.date = s.integer(2);
    r.from_name = s.text(3);
    r.from_address = s.text(4);
    r.subject = s.text(5);
    r.thread = static_cast<unsigned long>(s.integer(6));
    if (!s.is_null(7))
        r.parent = static_cast<unsigned long>(s.integer(7));
    r.size = static_cast<std::uint64_t>(s.integer(8));
    r.attachments = static_cast<unsigned>(s.integer(9));
    r.truncated = s.integer(10) != 0;
    return r;
}

} // namespace

Result<std::optional<MessageRow>> Index::message(unsigned long msgnum) {
    return guarded<std::optional<MessageRow>>(impl_->path, [&] {
        sql::Statement s(impl_->db.get(), std::string(message_columns) + "WHERE msgnum = ?1");
        s.bind(1, static_cast<Id>(msgnum));
        return s.step() ? std::optional<MessageRow>(message_row(s)) : std::nullopt;
    });
}

Result<std::optional<MessageRow>> Index::message_by_id(std::string_view message_id) {
    return guarded<std::optional<MessageRow>>(impl_->path, [&] {
        sql::Statement s(impl_->db.get(), std::string(message_columns) +
                                              "WHERE message_id = ?1 ORDER BY msgnum LIMIT 1");
        s.bind(1, message_id);
        return s.step() ? std::optional<MessageRow>(message_row(s)) : std::nullopt;
    });
}

Result<std::optional<ThreadRow>> Index::thread(unsigned long id) {
    return guarded<std::optional<ThreadRow>>(impl_->path, [&]() -> std::optional<ThreadRow> {
        sql::Statement s(impl_->db.get(), "SELECT id, root, subject, first_date, last_date, "
                                          "messages FROM threads WHERE id = ?1");
        s.bind(1, static_cast<Id>(id));
        if (!s.step())
            return std::nullopt;
        ThreadRow t;
        t.id = static_cast<unsigned long>(s.integer(0));
        t.root = static_cast<unsigned long>(s.integer(1));
        t.subject = s.text(2);
        t.first_date = s.integer(3);
        t.last_date = s.integer(4);
        t.messages = static_cast<unsigned long>(s.integer(5));
        return t;
    });
}

Result<std::vector<unsigned long>> Index::thread_messages(unsigned long id) {
    return guarded<std::vector<unsigned long>>(impl_->path, [&] {
        sql::Statement s(impl_->db.get(),
                         "SELECT msgnum FROM messages WHERE thread = ?1 ORDER BY date, msgnum");
        s.bind(1, static_cast<Id>(id));
        std::vector<unsigned long> out;
        while (s.step())
            out.push_back(static_cast<unsigned long>(s.integer(0)));
        return out;
    });
}

Result<std::vector<Attachment>> Index::attachments(unsigned long msgnum) {
    return guarded<std::vector<Attachment>>(impl_->path, [&] {
        sql::Statement s(impl_->db.get(), "SELECT part, filename, content_type, size FROM "
                                          "attachments WHERE msgnum = ?1 ORDER BY part");
        s.bind(1, static_cast<Id>(msgnum));
        std::vector<Attachment> out;
        while (s.step())
            out.push_back({static_cast<unsigned>(s.integer(0)), s.text(1), s.text(2),
                           static_cast<std::uint64_t>(s.integer(3))});
        return out;
    });
}

Result<std::vector<unsigned long>> Index::search(std::string_view fts5_query) {
    return guarded<std::vector<unsigned long>>(impl_->path, [&] {
        sql::Statement s(impl_->db.get(),
                         "SELECT rowid FROM search WHERE search MATCH ?1 ORDER BY rank");
        s.bind(1, fts5_query);
        std::vector<unsigned long> out;
        while (s.step())
            out.push_back(static_cast<unsigned long>(s.integer(0)));
        return out;
    });
}

Result<IndexCounts> Index::counts() {
    return guarded<IndexCounts>(impl_->path, [&] {
        IndexCounts c;
        auto count = [&](const char* q) {
            sql::Statement s(impl_->db.get(), q);
            s.step();
            return static_cast<unsigned long>(s.integer(0));
        };
        c.messages = count("SELECT count(*) FROM messages");
        c.threads = count("SELECT count(*) FROM threads");
        c.missing = count("SELECT count(*) FROM missing");
        c.searchable = count("SELECT count(*) FROM search");
        c.attachments = count("SELECT count(*) FROM attachments");
        return c;
    });
}

Result<std::string> Index::integrity() {
    return guarded<std::string>(impl_->path, [&] {
        std::string verdict;
        sql::Statement s(impl_->db.get(), "PRAGMA integrity_check");
        while (s.step())
            verdict += (verdict.empty() ? "" : "\n") + s.text(0);
        // FTS5's own check raises an error when its index disagrees with its content.
        impl_->db.exec("INSERT INTO search(search) VALUES('integrity-check')");
        return verdict;
    });
}

} // namespace qm::web

#include "qm/send/store.hpp"

#include "qm/log.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <unordered_set>

namespace qm::send {

using queue::MessageId;

namespace {

// Numeric names in a directory; an unreadable one (a missing split) has none here.
std::vector<MessageId> list_ids(const std::string& dir) {
    return queue::message_ids_in(dir).value_or(std::vector<MessageId>{});
}

std::optional<struct stat> stat_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return std::nullopt;
    return st;
}

// Whether envelope (todo/N, or info/S/N) is an ended message's, come back alone after a
// crash: mess/S/N is durable before todo/N is linked (qmail-queue flushes mess/S, and
// qmail-journald puts back a journaled message it still holds before qmail-send starts),
// and removed only when the message ends. The end's removals are unflushed and in several
// directories, each durable on its own: a crash may keep that of mess/S/N (made durable by
// a later flush of mess/S) and undo that of todo/N or info/S/N, which would then be tried,
// and fail, for ever. Only a mess/S/N surely gone (ENOENT) counts.
bool ended_message(const queue::Layout& q, queue::MessageId id, const std::string& envelope) {
    struct stat st {};
    if (::stat(q.mess(id).c_str(), &st) == 0 || errno != ENOENT)
        return false;
    log::warning("no " + q.mess(id) + " for " + envelope +
                 ": an ended message's envelope back after a crash; removing it");
    return true;
}

bool exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

void unlink_quiet(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        log::warning("unable to unlink " + path);
}

UniqueFd create_with(const std::string& path, std::string_view data) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd && errno == EEXIST) {
        // Left by a crash during an earlier attempt at this todo/N: start over.
        unlink_quiet(path);
        fd.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    }
    if (!fd)
        return fd;
    if (!write_all(fd.get(), data))
        return UniqueFd();
    return fd;
}

// One channel file (local/N or remote/N) written as its records come, through a small
// buffer: a 100,000-recipient envelope is never held a second time in memory. The file is
// made at the first record; a channel without records gets none.
class ChannelWriter {
public:
    explicit ChannelWriter(std::string path)
        : path_(std::move(path)) {}

    void add(std::string_view record) {
        if (!ok_)
            return;
        if (!fd_) {
            fd_ = create_with(path_, {});
            ok_ = static_cast<bool>(fd_);
        }
        buf_ += record;
        if (buf_.size() >= 65536)
            flush();
    }
    // False when the file could not be made or written.
    [[nodiscard]] bool finish() {
        flush();
        return ok_;
    }
    [[nodiscard]] bool used() const { return static_cast<bool>(fd_); }
    [[nodiscard]] UniqueFd take() { return std::move(fd_); }

private:
    void flush() {
        if (ok_ && fd_ && !buf_.empty())
            ok_ = static_cast<bool>(write_all(fd_.get(), buf_));
        buf_.clear();
    }

    std::string path_;
    UniqueFd fd_;
    std::string buf_;
    bool ok_ = true;
};

} // namespace

std::vector<MessageId> list_todo(const queue::Layout& q) {
    return list_ids(q.dir("todo"));
}

Result<QueueScan> scan_queue(const queue::Layout& q) {
    if (!exists(q.dir("info")))
        return fail(temp("4.3.0", "unable to find " + q.dir("info")));
    auto todo = list_todo(q);
    const std::unordered_set<MessageId> in_todo(todo.begin(), todo.end());
    QueueScan scan;
    for (unsigned long s = 0; s < queue::split; ++s) {
        for (MessageId id : list_ids(q.dir("info") + "/" + std::to_string(s))) {
            if (in_todo.contains(id))
                continue;
            const std::string info = q.info(id);
            if (ended_message(q, id, info)) {
                unlink_quiet(q.local(id));
                unlink_quiet(q.remote(id));
                unlink_quiet(info);
                continue;
            }
            auto st = stat_of(info);
            auto data = read_file(info);
            if (!st || !data || data->empty() || data->front() != 'F') {
                log::warning("unable to read " + info + "; leaving the message alone");
                continue;
            }
            QueuedMessage m;
            m.id = id;
            m.birth = st->st_mtime;
            m.sender = data->substr(1, data->find('\0') - 1);
            // j<id> after the sender: the journal holds the message (qmail-journal(5)).
            if (const auto j = data->find(std::string("\0j", 2)); j != std::string::npos) {
                const auto end = data->find('\0', j + 2);
                std::uint64_t journal_id = 0;
                const char* first = data->data() + j + 2;
                const char* last = data->data() + (end == std::string::npos ? data->size() : end);
                if (std::from_chars(first, last, journal_id).ec == std::errc())
                    m.journal_id = journal_id;
            }
            const std::string chans[2] = {q.local(id), q.remote(id)};
            for (int c = 0; c < 2; ++c)
                if (auto cst = stat_of(chans[c]))
                    m.channel_mtime[c] = cst->st_mtime;
            scan.messages.push_back(std::move(m));
        }
    }
    return scan;
}

std::vector<Preprocessed> preprocess_todo(const queue::Layout& q, const Routing& routing,
                                          const std::vector<MessageId>& ids, bool remove_todo) {
    std::vector<Preprocessed> out;
    std::vector<UniqueFd> written;
    std::vector<std::string> new_names_in; // directories, for the fsyncs below
    for (MessageId id : ids) {
        const std::string todo = q.todo(id);
        auto data = read_file(todo);
        if (!data) {
            if (errno != ENOENT)
                log::warning("unable to read " + todo + ": " + data.error().text);
            continue;
        }
        // Checked whole before anything is written; the recipients are read again below,
        // straight into the channel files.
        auto entry = parse_todo(*data, [](std::string_view) {});
        if (!entry) {
            log::warning("unable to process " + todo + ": " + entry.error().text);
            continue;
        }
        if (ended_message(q, id, todo)) {
            Preprocessed gone;
            gone.id = id;
            gone.ended = true;
            out.push_back(std::move(gone));
            continue;
        }
        auto mess = stat_of(q.mess(id));
        if (!mess) {
            log::warning("unable to stat " + q.mess(id) + "; leaving " + todo + " alone");
            continue;
        }
        const std::string info = q.info(id), chans[2] = {q.local(id), q.remote(id)};

        // info/N exists only if an earlier attempt at this todo/N crashed half-way.
        const bool stale = ::access(info.c_str(), F_OK) == 0;
        std::string info_bytes = "F" + entry->sender + std::string(1, '\0');
        if (entry->journal_id != 0)
            info_bytes += "j" + std::to_string(entry->journal_id) + std::string(1, '\0');
        UniqueFd info_fd = create_with(info, info_bytes);
        if (!info_fd) {
            log::warning("unable to write " + info + "; will try again");
            continue;
        }
        Preprocessed p;
        p.id = id;
        p.sender = entry->sender;
        p.journal_id = entry->journal_id;
        struct stat ist {};
        p.birth = ::fstat(info_fd.get(), &ist) == 0 ? ist.st_mtime : std::time(nullptr);
        std::array<ChannelWriter, 2> writers{ChannelWriter(chans[0]), ChannelWriter(chans[1])};
        (void)parse_todo(*data, [&](std::string_view rcpt) {
            Route r = route(routing, rcpt);
            writers[r.local ? 0 : 1].add(channel_record(r.address));
        });
        bool ok = true;
        std::vector<UniqueFd> fds;
        fds.push_back(std::move(info_fd));
        for (int c = 0; c < 2; ++c) {
            if (!writers[c].finish()) {
                log::warning("unable to write " + chans[c] + "; will try again");
                ok = false;
                break;
            }
            if (!writers[c].used()) {
                if (stale) // a crash during an earlier attempt may have left one
                    unlink_quiet(chans[c]);
                continue;
            }
            p.has_channel[c] = true;
            fds.push_back(writers[c].take());
        }
        if (!ok) {
            unlink_quiet(info);
            unlink_quiet(chans[0]);
            unlink_quiet(chans[1]);
            continue;
        }
        log::line("new msg " + std::to_string(id));
        log::line("info msg " + std::to_string(id) + ": bytes " + std::to_string(mess->st_size) +
                  " from <" + log::safe_text(entry->sender) + "> qp " + log::safe_text(entry->pid) +
                  " uid " + log::safe_text(entry->uid));
        for (auto& fd : fds)
            written.push_back(std::move(fd));
        if (p.journal_id == 0) {
            new_names_in.push_back(dirname_of(info));
            for (int c = 0; c < 2; ++c)
                if (p.has_channel[c])
                    new_names_in.push_back(dirname_of(chans[c]));
        }
        out.push_back(std::move(p));
    }
    if (out.empty())
        return out;
    // The envelope must be on disk before todo/N goes. One syncfs commits a whole batch in
    // one journal flush instead of one fsync per file. Not for messages qmail-journald
    // holds: its recovery checks their info and channel files against the journal at the
    // next start and writes again what a crash took (queue/recover.hpp).
    const bool journaled = std::all_of(
        out.begin(), out.end(), [](const Preprocessed& p) { return p.ended || p.journal_id != 0; });
    bool synced = true;
    if (journaled) {
        // nothing to flush
    } else if (written.size() <= 3) {
        for (auto& fd : written)
            synced = synced && ::fsync(fd.get()) == 0;
        // The new names too, which fsync of the files does not cover (ext4 commits them,
        // POSIX does not): else a crash may keep the removal of todo/N, made durable by
        // the next qmail-queue's fsync of todo/, and lose info/S/N, and the message with
        // it. qmail-journald rebuilds a journaled message's envelope instead.
        std::sort(new_names_in.begin(), new_names_in.end());
        new_names_in.erase(std::unique(new_names_in.begin(), new_names_in.end()),
                           new_names_in.end());
        for (const auto& dir : new_names_in)
            synced = synced && fsync_dir(dir);
    } else {
        synced = ::syncfs(written.front().get()) == 0;
    }
    if (!synced) {
        log::warning("unable to sync the new envelopes; will try again");
        return {};
    }
    for (const auto& p : out) {
        if (!remove_todo)
            break;
        unlink_quiet(q.intd(p.id));
        unlink_quiet(q.todo(p.id));
    }
    return out;
}

Result<std::optional<UniqueFd>> open_channel(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::optional<UniqueFd>{};
        return fail(from_errno(errno, "unable to open " + path));
    }
    return std::optional<UniqueFd>{std::move(fd)};
}

bool mark_done(int fd, off_t offset) {
    return ::pwrite(fd, "D", 1, offset) == 1;
}

Status append_bounce(const queue::Layout& q, MessageId id, std::string_view record) {
    const std::string path = q.bounce(id);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!fd)
        return fail(from_errno(errno, "unable to open " + path));
    if (auto s = write_all(fd.get(), record); !s)
        return s;
    return fsync_fd(fd.get(), path);
}

bool save_retry_time(const std::string& path, std::time_t when) {
    const timespec ts[2] = {{when, 0}, {when, 0}};
    return ::utimensat(AT_FDCWD, path.c_str(), ts, 0) == 0 || errno == ENOENT;
}

void cleanup_stale(const queue::Layout& q, std::time_t now) {
    auto old = [now](const std::string& path) {
        auto st = stat_of(path);
        return !st || now - st->st_mtime > ossified;
    };
    DIR* d = ::opendir(q.dir("pid").c_str());
    if (d) {
        std::vector<std::string> stale;
        while (const dirent* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name != "." && name != ".." && old(q.dir("pid") + "/" + name))
                stale.push_back(q.dir("pid") + "/" + name);
        }
        ::closedir(d);
        for (const auto& p : stale)
            unlink_quiet(p);
    }
    // An intd/N without todo/N is a qmail-queue that died before its commit point.
    for (MessageId id : list_ids(q.dir("intd"))) {
        if (exists(q.todo(id)) || !old(q.mess(id)) || !old(q.intd(id)))
            continue;
        unlink_quiet(q.intd(id));
        unlink_quiet(q.mess(id));
    }
    // A mess/N with no envelope at all: qmail-queue died before writing intd/N.
    for (unsigned long s = 0; s < queue::split; ++s)
        for (MessageId id : list_ids(q.dir("mess") + "/" + std::to_string(s))) {
            if (exists(q.intd(id)) || exists(q.todo(id)) || exists(q.info(id)) || !old(q.mess(id)))
                continue;
            unlink_quiet(q.mess(id));
        }
}

} // namespace qm::send

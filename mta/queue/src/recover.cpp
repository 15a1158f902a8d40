#include "qm/queue/recover.hpp"

#include "qm/journal/describe.hpp"
#include "qm/journal/service.hpp"
#include "qm/queue/enqueue.hpp"
#include "qm/routing.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace qm::queue {

namespace {

// The j<id> field of an envelope file (todo/N, info/S/N), 0 without one.
std::uint64_t journal_id_of(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return 0;
    auto data = read_all(fd.get());
    if (!data)
        return 0;
    std::size_t at = 0;
    while (at < data->size()) {
        std::size_t nul = data->find('\0', at);
        if (nul == std::string::npos)
            nul = data->size();
        if ((*data)[at] == 'j') {
            std::uint64_t id = 0;
            if (std::from_chars(data->data() + at + 1, data->data() + nul, id).ec == std::errc())
                return id;
        }
        at = nul + 1;
    }
    return 0;
}

// Where a held message is in the queue: still in todo/ (qmail-send's preprocessing will
// make its info and channel files from the whole envelope there), or past it.
struct Queued {
    MessageId id = 0;
    bool preprocessed = false; // info/S/N, local/S/N and remote/S/N
};

// journal id -> queue entry, from every envelope in the queue; todo/N first, so that a
// preprocessing cut short counts as not done (it is done again from todo/N).
// A directory that cannot be read fails the recovery: taking it for empty would queue
// again every message in it. Except info/ in root mode, which is qmails' (mode 0700) and
// closed to qmail-journald (qmailq): then info_readable is false, and the caller tells a
// preprocessed message by its mess/S/N instead.
Result<std::unordered_map<std::uint64_t, Queued>> queued_by_journal_id(const Layout& layout,
                                                                       bool& info_readable) {
    std::unordered_map<std::uint64_t, Queued> out;
    auto note = [&](const std::string& path, Queued q) {
        if (auto j = journal_id_of(path); j != 0)
            out.emplace(j, q);
    };
    auto todo = message_ids_in(layout.dir("todo"));
    if (!todo)
        return fail(todo.error());
    for (MessageId id : *todo)
        note(layout.todo(id), {id, false});
    info_readable =
        !(::access((layout.dir("info") + "/0").c_str(), R_OK | X_OK) != 0 && errno == EACCES);
    if (!info_readable)
        return out;
    auto info = message_ids_in_split(layout.dir("info"));
    if (!info)
        return fail(info.error());
    for (MessageId id : *info)
        note(layout.info(id), {id, true});
    return out;
}

// local/S/N or remote/S/N as qmail-send left it: T (to do) and D (done) records, each an
// address and its NUL. Journal mode writes them without a flush, so a crash may leave one
// missing, cut short, or with zeros where records were.
struct ChannelRecords {
    std::string data;
    struct Entry {
        std::size_t offset;
        bool done;
        std::string_view address;
    };
    std::vector<Entry> entries;
    bool torn = false; // something after the last whole record
};

Result<ChannelRecords> read_channel_records(const std::string& path) {
    ChannelRecords c;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return c;
        return fail(from_errno(errno, "unable to open " + path));
    }
    auto data = read_all(fd.get());
    if (!data)
        return fail(data.error());
    c.data = std::move(*data);
    const std::string_view bytes = c.data;
    for (std::size_t at = 0; at < bytes.size();) {
        const std::size_t nul = bytes.find('\0', at);
        if (nul == std::string_view::npos || nul == at + 1 ||
            (bytes[at] != 'T' && bytes[at] != 'D')) {
            c.torn = true;
            break;
        }
        c.entries.push_back({at, bytes[at] == 'D', bytes.substr(at + 1, nul - at - 1)});
        at = nul + 1;
    }
    return c;
}

// Removes a queue entry whose message file is gone, and returns the recipients its channel
// files had marked done.
std::unordered_set<std::string> give_up_entry(const Layout& layout, const Queued& q) {
    std::unordered_set<std::string> done;
    std::vector<std::string> files;
    if (q.preprocessed) {
        for (const std::string& path : {layout.local(q.id), layout.remote(q.id)}) {
            if (auto c = read_channel_records(path))
                for (const auto& e : c->entries)
                    if (e.done)
                        done.emplace(e.address);
            files.push_back(path);
        }
        files.push_back(layout.info(q.id));
    } else {
        files = {layout.intd(q.id), layout.todo(q.id)};
    }
    for (const auto& f : files)
        ::unlink(f.c_str());
    return done;
}

enum class ChannelCheck { whole, marked, repaired };

// A preprocessed message's channel files against its M record: every recipient (routed as
// now) must be in one of them, or done in the journal. A file cut short or missing
// recipients is written again (its whole records kept, with their marks, and the
// missing recipients added as T); a T that the journal has as done becomes a D, so that a
// mark lost in a crash does not mean a second delivery. Not flushed: the journal holds
// the message until its E, and the next start checks again.
Result<ChannelCheck> check_channels(const Layout& layout, MessageId id,
                                    const journal::MessageHead& head,
                                    const std::unordered_set<std::string>& done,
                                    const Routing& routing) {
    auto env = journal::parse_queue_envelope(head.envelope);
    if (!env)
        return fail(env.error());
    const std::string paths[2] = {layout.local(id), layout.remote(id)};
    ChannelRecords files[2];
    std::unordered_set<std::string> present;
    for (int c = 0; c < 2; ++c) {
        auto f = read_channel_records(paths[c]);
        if (!f)
            return fail(f.error());
        files[c] = std::move(*f);
        for (const auto& e : files[c].entries)
            present.emplace(e.address);
    }
    std::vector<std::string> missing[2];
    for (const auto& rcpt : env->recipients) {
        Route r = route(routing, rcpt);
        if (!present.contains(r.address) && !done.contains(r.address)) {
            present.insert(r.address); // a recipient named twice is added once
            missing[r.local ? 0 : 1].push_back(std::move(r.address));
        }
    }
    ChannelCheck result = ChannelCheck::whole;
    for (int c = 0; c < 2; ++c) {
        const ChannelRecords& f = files[c];
        if (!f.torn && missing[c].empty()) {
            UniqueFd fd; // opened at the first mark to restore
            for (const auto& e : f.entries) {
                if (e.done || !done.contains(std::string(e.address)))
                    continue;
                if (!fd)
                    fd.reset(::open(paths[c].c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
                if (!fd || ::pwrite(fd.get(), "D", 1, static_cast<off_t>(e.offset)) != 1)
                    return fail(
                        from_errno(errno, "unable to mark a recipient done in " + paths[c]));
                result = std::max(result, ChannelCheck::marked);
            }
            continue;
        }
        std::string again;
        for (const auto& e : f.entries) {
            again += e.done || done.contains(std::string(e.address)) ? 'D' : 'T';
            again += e.address;
            again += '\0';
        }
        for (const auto& a : missing[c]) {
            again += 'T';
            again += a;
            again += '\0';
        }
        UniqueFd fd(
            ::open(paths[c].c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd)
            return fail(from_errno(errno, "unable to write " + paths[c]));
        if (auto s = write_all(fd.get(), again); !s)
            return fail(s.error());
        result = ChannelCheck::repaired;
    }
    return result;
}

Status write_again(const std::string& path, const std::string& body) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return fail(from_errno(errno, "unable to open " + path));
    return write_all(fd.get(), body);
}

} // namespace

Result<Recovery> recover_from_journal(const Layout& layout) {
    auto state = journal::read_journal(journal::journal_dir(layout.root));
    if (!state)
        return fail(state.error());
    Recovery r;
    r.problems = state->problems;
    r.journal.live = state->live;
    r.held = state->held.size();
    if (state->held.empty())
        return r;
    bool info_readable = true;
    const auto found = queued_by_journal_id(layout, info_readable);
    if (!found)
        return fail(found.error());
    const auto& queued = *found;
    auto routing = load_routing();
    if (!routing)
        return fail(routing.error());
    journal::HeldReader reader(journal::journal_dir(layout.root));
    for (const auto& held : state->held) {
        const std::string where =
            journal::segment_name(held.segment) + " at offset " + std::to_string(held.offset);
        auto q = queued.find(held.journal_id);
        bool mess_whole = false;
        // Recipients its queue entry had marked done, for an entry given up below.
        std::unordered_set<std::string> marked_done;
        if (q == queued.end() && !info_readable) {
            // Root mode: qmail-send's info/ is closed to us. A message past preprocessing
            // still has its mess/S/N under the N it was queued with (a rebuilt one, under
            // a new N, is found in todo/ until qmail-send takes it); its channel files are
            // qmail-send's to check, not ours.
            struct stat st {};
            if (held.queue_id != 0 && ::stat(layout.mess(held.queue_id).c_str(), &st) == 0 &&
                static_cast<std::uint64_t>(st.st_size) == held.body_size) {
                ++r.whole;
                ++r.unchecked;
                continue;
            }
        }
        if (q != queued.end()) {
            struct stat st {};
            const bool mess_there = ::stat(layout.mess(q->second.id).c_str(), &st) == 0;
            mess_whole = mess_there && static_cast<std::uint64_t>(st.st_size) == held.body_size;
            if (!mess_there && errno == ENOENT) {
                // An envelope whose message file a crash took (its name was never
                // flushed): N named an inode that is gone, so the entry goes and the message
                // is queued again under a new N, keeping the marks its channel files had.
                marked_done = give_up_entry(layout, q->second);
                q = queued.end();
            }
            // Still in todo/: its envelope there is whole (the j<id> comes last).
            if (mess_whole && !q->second.preprocessed) {
                ++r.whole;
                continue;
            }
        }
        // Cut short, gone, or its channel files to check: the record is read again.
        auto payload = reader.read(held);
        if (!payload) {
            r.problems.push_back(where + ": " + payload.error().text);
            continue;
        }
        auto head = journal::decode_message_head(*payload);
        if (!head) {
            r.problems.push_back(where + ": " + head.error().text);
            continue;
        }
        const auto done = state->done.find(held.journal_id);
        if (done != state->done.end())
            marked_done.insert(done->second.begin(), done->second.end());
        const auto& done_rcpts = marked_done;
        bool repaired = false;
        if (q != queued.end() && q->second.preprocessed) {
            auto checked = check_channels(layout, q->second.id, *head, done_rcpts, *routing);
            if (!checked) {
                r.problems.push_back(where + ": " + checked.error().text);
                continue;
            }
            r.channels_repaired += *checked == ChannelCheck::repaired ? 1 : 0;
            r.marks_applied += *checked == ChannelCheck::marked ? 1 : 0;
            repaired = *checked == ChannelCheck::repaired;
        }
        if (q != queued.end() && mess_whole) {
            r.whole += repaired ? 0 : 1;
            continue;
        }
        auto body = journal::decompress_body(*head);
        if (!body) {
            r.problems.push_back(where + ": " + body.error().text);
            continue;
        }
        if (q != queued.end()) {
            if (auto s = write_again(layout.mess(q->second.id), *body); !s) {
                r.problems.push_back(where + ": " + s.error().text);
                continue;
            }
            ++r.repaired;
            continue;
        }
        auto env = journal::parse_queue_envelope(head->envelope);
        if (!env) {
            r.problems.push_back(where + ": " + env.error().text);
            continue;
        }
        // Only the recipients not yet done, as qmail-send's channel files named them.
        std::vector<std::string> left;
        for (const auto& rcpt : env->recipients)
            if (!done_rcpts.contains(route(*routing, rcpt).address))
                left.push_back(rcpt);
        if (left.empty()) {
            r.journal.to_end.push_back(held.journal_id);
            ++r.delivered;
            continue;
        }
        auto w = MessageWriter::open(layout, "", Durability::rebuilt);
        if (!w)
            return fail(temp("4.3.0", "unable to queue again the message at " + where));
        w->write(*body);
        if (w->finish(Envelope{env->sender, left}, held.journal_id) != QueueExit::ok)
            return fail(temp("4.3.0", "unable to queue again the message at " + where));
        ++r.rebuilt;
    }
    // Not flushed: the journal keeps every one of them until its E.
    if (r.rebuilt > 0)
        pull_trigger(layout);
    return r;
}

} // namespace qm::queue

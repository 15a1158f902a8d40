#include "qm/queue/recover.hpp"

#include "qm/journal/describe.hpp"
#include "qm/journal/service.hpp"
#include "qm/queue/enqueue.hpp"
#include "qm/routing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <functional>
#include <memory>
#include <unordered_map>

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

void each_number(const std::string& dir, const std::function<void(MessageId)>& f) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d)
        return;
    while (const dirent* e = ::readdir(d.get())) {
        MessageId id = 0;
        const std::string_view name(e->d_name);
        auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
        if (ec == std::errc() && end == name.data() + name.size())
            f(id);
    }
}

// journal id -> queue id, from every envelope in the queue.
std::unordered_map<std::uint64_t, MessageId> queued_by_journal_id(const Layout& layout) {
    std::unordered_map<std::uint64_t, MessageId> out;
    auto note = [&](const std::string& path, MessageId id) {
        if (auto j = journal_id_of(path); j != 0)
            out.emplace(j, id);
    };
    each_number(layout.dir("todo"), [&](MessageId id) { note(layout.todo(id), id); });
    for (unsigned long s = 0; s < split; ++s)
        each_number(layout.dir("info") + "/" + std::to_string(s),
                    [&](MessageId id) { note(layout.info(id), id); });
    return out;
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
    const auto queued = queued_by_journal_id(layout);
    auto routing = load_routing();
    if (!routing)
        return fail(routing.error());
    journal::HeldReader reader(journal::journal_dir(layout.root));
    for (const auto& held : state->held) {
        const std::string where =
            journal::segment_name(held.segment) + " at offset " + std::to_string(held.offset);
        const auto q = queued.find(held.journal_id);
        if (q != queued.end()) {
            struct stat st {};
            if (::stat(layout.mess(q->second).c_str(), &st) == 0 &&
                static_cast<std::uint64_t>(st.st_size) == held.body_size) {
                ++r.whole;
                continue;
            }
        }
        // Cut short or gone: the record is read again for its body.
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
        auto body = journal::decompress_body(*head);
        if (!body) {
            r.problems.push_back(where + ": " + body.error().text);
            continue;
        }
        if (q != queued.end()) {
            if (auto s = write_again(layout.mess(q->second), *body); !s) {
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
        const auto& done = state->done[held.journal_id];
        std::vector<std::string> left;
        for (const auto& rcpt : env->recipients)
            if (!done.contains(route(*routing, rcpt).address))
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

#include "qm/tools/queue_report.hpp"

#include "qm/date.hpp"
#include "qm/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <expected>
#include <filesystem>
#include <map>
#include <string_view>
#include <system_error>

namespace fs = std::filesystem;

namespace qm::tools {

namespace {

// Message ids named by the files of dir/0 .. dir/22 (split) or of dir itself (flat).
Result<std::vector<queue::MessageId>> list_ids(const std::string& dir, bool split) {
    auto ids = split ? queue::message_ids_in_split(dir) : queue::message_ids_in(dir);
    if (ids)
        std::sort(ids->begin(), ids->end());
    return ids;
}

std::string trouble_text(int err) {
    return std::strerror(err);
}

struct Slurped {
    std::string data;
    std::time_t mtime = 0;
};
// errno on failure, so that a missing file can be told apart.
std::expected<Slurped, int> slurp(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return std::unexpected(errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return std::unexpected(errno);
    auto data = read_all(fd.get());
    if (!data)
        return std::unexpected(EIO);
    return Slurped{std::move(*data), st.st_mtime};
}

// The NUL-terminated records of an info/local/remote/todo file; a final record without
// its NUL (a file being written) is ignored, as qmail's getln does.
std::vector<std::string_view> records(std::string_view data) {
    std::vector<std::string_view> out;
    for (size_t nul; (nul = data.find('\0')) != std::string_view::npos;) {
        out.push_back(data.substr(0, nul));
        data.remove_prefix(nul + 1);
    }
    return out;
}

void read_channel(const std::string& path, bool remote, QueuedMessage& m) {
    auto file = slurp(path);
    if (!file) {
        if (file.error() != ENOENT)
            m.trouble = trouble_text(file.error());
        return;
    }
    for (auto rec : records(file->data)) {
        if (rec.empty() || (rec[0] != 'T' && rec[0] != 'D'))
            continue;
        m.recipients.push_back({rec[0] == 'D', remote, std::string(rec.substr(1))});
    }
}

QueuedMessage read_preprocessed(const queue::Layout& layout, queue::MessageId id) {
    QueuedMessage m;
    m.id = id;
    struct stat st {};
    if (::stat(layout.mess(id).c_str(), &st) != 0) {
        m.trouble = trouble_text(errno);
        return m;
    }
    m.size = static_cast<unsigned long long>(st.st_size);
    m.bouncing = ::stat(layout.bounce(id).c_str(), &st) == 0;
    auto info = slurp(layout.info(id));
    if (!info) {
        m.trouble = trouble_text(info.error());
        return m;
    }
    m.birth = info->mtime;
    auto recs = records(info->data);
    if (!recs.empty() && !recs[0].empty() && recs[0][0] == 'F')
        m.sender = std::string(recs[0].substr(1));
    read_channel(layout.local(id), false, m);
    read_channel(layout.remote(id), true, m);
    if (m.trouble)
        m.recipients.clear();
    return m;
}

QueuedMessage read_todo(const queue::Layout& layout, const Routing& routing, queue::MessageId id) {
    QueuedMessage m;
    m.id = id;
    m.preprocessed = false;
    struct stat st {};
    if (::stat(layout.mess(id).c_str(), &st) != 0) {
        m.trouble = trouble_text(errno);
        return m;
    }
    m.size = static_cast<unsigned long long>(st.st_size);
    auto todo = slurp(layout.todo(id));
    if (!todo) {
        m.trouble = trouble_text(todo.error());
        return m;
    }
    m.birth = todo->mtime;
    // u<uid> p<pid> F<sender> T<recipient>...; anything else is qmail's QUEUE_EXTRA room.
    for (auto rec : records(todo->data)) {
        if (rec.empty())
            continue;
        if (rec[0] == 'F')
            m.sender = std::string(rec.substr(1));
        else if (rec[0] == 'T') {
            auto route = qm::route(routing, rec.substr(1));
            m.recipients.push_back({false, !route.local, std::move(route.address)});
        }
    }
    // qmail-send hands local recipients out first; show them in that order too.
    std::stable_partition(m.recipients.begin(), m.recipients.end(),
                          [](const QueuedRecipient& r) { return !r.remote; });
    return m;
}

void put_printable(std::string& out, std::string_view s) {
    for (char c : s)
        out += (c >= 32 && c <= 126) ? c : '_';
}

} // namespace

Result<std::vector<QueuedMessage>> scan_queue(const queue::Layout& layout, const Routing& routing) {
    auto info_ids = list_ids(layout.dir("info"), true);
    if (!info_ids)
        return fail(info_ids.error());
    auto todo_ids = list_ids(layout.dir("todo"), false);
    if (!todo_ids)
        return fail(todo_ids.error());
    std::vector<QueuedMessage> out;
    for (auto id : *info_ids)
        out.push_back(read_preprocessed(layout, id));
    // Between writing info/N and removing todo/N, qmail-send has both; info/N wins.
    for (auto id : *todo_ids)
        if (!std::binary_search(info_ids->begin(), info_ids->end(), id))
            out.push_back(read_todo(layout, routing, id));
    return out;
}

std::string format_qread(const QueuedMessage& m) {
    std::string out;
    if (m.trouble) {
        out = "warning: trouble with #" + std::to_string(m.id) + ": " + *m.trouble + "\n";
        return out;
    }
    std::string date = date822(m.birth); // "26 Sep 1995 04:46:54 -0000"
    if (date.size() > 6 && date.ends_with(" -0000"))
        date.resize(date.size() - 6);
    std::string stats = date + " GMT  #" + std::to_string(m.id) + "  " + std::to_string(m.size) +
                        "  <" + m.sender + "> ";
    if (m.bouncing)
        stats += " bouncing";
    put_printable(out, stats);
    out += '\n';
    for (const auto& r : m.recipients) {
        if (r.done)
            out += "  done";
        out += r.remote ? "\tremote\t" : "\tlocal\t";
        put_printable(out, r.address);
        out += '\n';
    }
    return out;
}

Result<QueueCounts> count_queue(const queue::Layout& layout) {
    auto count = [](const std::string& dir) -> Result<unsigned long> {
        std::error_code ec;
        fs::recursive_directory_iterator it(dir, ec);
        if (ec)
            return fail(temp("4.3.0", "unable to opendir " + dir + ": " + ec.message()));
        unsigned long n = 0;
        for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (ec)
                return fail(temp("4.3.0", "unable to read " + dir + ": " + ec.message()));
            if (it->is_regular_file(ec))
                ++n;
        }
        if (ec)
            return fail(temp("4.3.0", "unable to read " + dir + ": " + ec.message()));
        return n;
    };
    auto mess = count(layout.dir("mess"));
    if (!mess)
        return fail(mess.error());
    auto todo = count(layout.dir("todo"));
    if (!todo)
        return fail(todo.error());
    return QueueCounts{*mess, *todo};
}

std::string format_qstat(const QueueCounts& c) {
    return "messages in queue: " + std::to_string(c.messages) +
           "\nmessages in queue but not yet preprocessed: " + std::to_string(c.unprocessed) + "\n";
}

} // namespace qm::tools

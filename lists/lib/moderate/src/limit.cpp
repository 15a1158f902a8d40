#include "qm/lists/moderate/limit.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/listdir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace qm::lists {

Result<TrafficVerdict> limit_traffic(const std::string& dir, const TrafficLimit& limit,
                                     std::time_t now) {
    if (has_flag(dir, "modpost"))
        return TrafficVerdict::within; // moderated already
    auto lock = Lock::acquire(dir + "/lock");
    if (!lock)
        return fail(lock.error());
    if (!has_flag(dir, "num"))
        return fail(perm("5.3.0", dir + "/num does not exist"));
    auto num = read_num(dir);
    if (!num)
        return fail(num.error());
    const std::string path = limit.file.starts_with("/") ? limit.file : dir + "/" + limit.file;
    std::optional<std::string> line;
    auto text = read_file(path.substr(0, path.rfind('/')), path.substr(path.rfind('/') + 1));
    if (!text)
        return fail(text.error());
    if (*text && !(*text)->empty())
        line = (*text)->substr(0, (*text)->find('\n'));
    unsigned long started_at = 0, started_when = 0;
    if (line) {
        const char* p = line->data();
        const char* end = p + line->size();
        p = std::from_chars(p, end, started_at).ptr;
        if (p != end && *p == ':')
            std::from_chars(p + 1, end, started_when);
    }
    const auto when = static_cast<unsigned long>(now);
    if (!line || started_when + limit.secs < when || started_when > when) {
        // No count yet, an old one or one from the future: start counting from here.
        if (auto w = write_file_atomic(path, std::to_string(num->last) + ":" +
                                                 std::to_string(when) + "\n");
            !w)
            return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
        return TrafficVerdict::within;
    }
    if (num->last < started_at + limit.count)
        return TrafficVerdict::within;
    if (limit.defer)
        return fail(temp("4.3.0", "excess traffic: deferring"));
    const std::string modpost = dir + "/modpost";
    const int fd = ::open(modpost.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(from_errno(errno, "unable to create " + modpost));
    ::fsync(fd);
    ::close(fd);
    ::unlink(path.c_str());
    return TrafficVerdict::moderated;
}

} // namespace qm::lists

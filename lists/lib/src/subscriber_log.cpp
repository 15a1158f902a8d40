#include "qm/lists/subscriber_log.hpp"

#include "qm/fd.hpp"

#include <fcntl.h>

#include <cerrno>

namespace qm::lists {

std::string subscriber_log_line(std::time_t when, std::string_view event, std::string_view address,
                                std::string_view comment) {
    std::string line =
        std::to_string(static_cast<long long>(when)) + " " + std::string(event) + " ";
    for (char c : address)
        line += c < 33 || c > 126 ? '?' : c;
    if (!comment.empty()) {
        line += ' ';
        for (char c : comment)
            line += c == '\t' ? ' ' : c < 32 || c > 126 ? '?' : c;
    }
    return line + "\n";
}

Status append_subscriber_log(const std::string& db, std::time_t when, std::string_view event,
                             std::string_view address, std::string_view comment) {
    const std::string path = db + "/Log";
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!fd)
        return fail(from_errno(errno, "unable to open " + path));
    if (auto w = write_all(fd.get(), subscriber_log_line(when, event, address, comment)); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    return fsync_fd(fd.get(), path);
}

} // namespace qm::lists

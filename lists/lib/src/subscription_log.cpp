#include "qm/lists/subscription_log.hpp"

#include "qm/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace qm::lists {

std::string format_log_line(std::time_t when, std::string_view event, std::string_view address,
                            std::string_view comment) {
    std::string line =
        std::to_string(static_cast<long long>(when)) + " " + std::string(event) + " ";
    for (char c : address)
        line += c > ' ' && c < 127 ? c : '?';
    if (!comment.empty()) {
        line += ' ';
        for (char c : comment)
            line += c == '\t' ? ' ' : c >= ' ' && c < 127 ? c : '?';
    }
    return line + "\n";
}

Status append_subscription_log(const std::string& db, std::time_t when, std::string_view event,
                               std::string_view address, std::string_view comment) {
    const std::string path = db + "/Log";
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!fd)
        return fail(from_errno(errno, "unable to open " + path));
    // One write: lines of concurrent writers never interleave in an O_APPEND file.
    if (auto w = write_all(fd.get(), format_log_line(when, event, address, comment)); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    return fsync_fd(fd.get(), path);
}

} // namespace qm::lists

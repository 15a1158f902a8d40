#include "qm/lists/core/subscription_log.hpp"

#include "qm/address.hpp"
#include "qm/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace qm::lists {

namespace {

// An address as a Log line holds it.
std::string log_address(std::string_view address) {
    std::string out;
    for (char c : address)
        out += c > ' ' && c < 127 ? c : '?';
    return out;
}

// The next space-separated field of line, taken off its front.
std::string_view take_field(std::string_view& line) {
    auto sp = line.find(' ');
    auto field = line.substr(0, sp);
    line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    return field;
}

} // namespace

std::string format_log_line(std::time_t when, std::string_view event, std::string_view address,
                            std::string_view comment) {
    std::string line = std::to_string(static_cast<long long>(when)) + " " + std::string(event) +
                       " " + log_address(address);
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

Result<std::optional<LogEntry>> last_log_entry(const std::string& db, std::string_view address) {
    const std::string path = db + "/Log";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::nullopt;
        return fail(from_errno(errno, "unable to open " + path));
    }
    auto data = read_all(fd.get());
    if (!data)
        return fail(temp("4.3.0", "unable to read " + path + ": " + data.error().text));
    const std::string want = address::lowercase(log_address(address));
    std::optional<LogEntry> last;
    std::string_view rest = *data;
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        auto when = take_field(line);
        auto event = take_field(line);
        if (address::lowercase(take_field(line)) != want)
            continue;
        LogEntry e;
        e.when = std::strtoll(std::string(when).c_str(), nullptr, 10);
        e.event = event;
        e.comment = line;
        last = std::move(e);
    }
    return last;
}

} // namespace qm::lists

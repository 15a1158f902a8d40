// qmail's From_ quoting and the mbox lock (qm/local/mbox.hpp).
#include "qm/local/mbox.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

namespace qm::local {

bool needs_from_quote(std::string_view line) {
    size_t i = line.find_first_not_of('>');
    if (i == std::string_view::npos)
        return false;
    return line.substr(i).starts_with("From ");
}

void append_from_quoted(std::string& out, std::string_view message) {
    for (size_t pos = 0; pos < message.size();) {
        const size_t nl = message.find('\n', pos);
        const size_t end = nl == std::string_view::npos ? message.size() : nl + 1;
        const std::string_view line = message.substr(pos, end - pos);
        if (needs_from_quote(line))
            out += '>';
        out += line;
        pos = end;
    }
    if (!message.empty() && message.back() != '\n')
        out += '\n';
}

// Blocks for up to 30 seconds, as qmail's alarm(30) around lock_ex. flock() and an
// OFD fcntl lock: the first excludes qmail-style readers and other threads, the second
// mutt and Dovecot, which use fcntl locks; OFD locks belong to the open file, so threads
// in this process exclude each other too.
Result<bool> lock_mbox(int fd) {
    using namespace std::chrono;
    const auto deadline = steady_clock::now() + seconds(30);
    auto wait = milliseconds(1);
    bool flocked = false;
    for (;;) {
        if (!flocked) {
            if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
                flocked = true;
            else if (errno != EWOULDBLOCK && errno != EINTR)
                return false; // a file system without locks: qmail goes on unlocked
        }
        if (flocked) {
            struct flock fl {};
            fl.l_type = F_WRLCK;
            fl.l_whence = SEEK_SET;
            if (::fcntl(fd, F_OFD_SETLK, &fl) == 0)
                return true;
            if (errno != EAGAIN && errno != EACCES && errno != EINTR)
                return true; // flock alone still protects against qmail's readers
        }
        if (steady_clock::now() >= deadline)
            return fail(temp("4.3.0", "File has been locked for 30 seconds straight."));
        std::this_thread::sleep_for(wait);
        wait = std::min(wait * 2, milliseconds(250));
    }
}

} // namespace qm::local

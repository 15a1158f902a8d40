#include "qm/lists/archive/import.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/listdir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace qm::lists {

namespace {

// The lines of fd, each with its newline; a last line without one is not given.
class LineReader {
public:
    explicit LineReader(int fd)
        : fd_(fd) {}
    // False at the end; a read error is temporary.
    Result<bool> next(std::string& line) {
        for (;;) {
            auto nl = buffer_.find('\n', start_);
            if (nl != std::string::npos) {
                line.assign(buffer_, start_, nl + 1 - start_);
                start_ = nl + 1;
                return true;
            }
            buffer_.erase(0, start_);
            start_ = 0;
            char chunk[65536];
            ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return fail(from_errno(errno, "unable to read the mbox"));
            if (n == 0)
                return false;
            buffer_.append(chunk, static_cast<size_t>(n));
        }
    }

private:
    int fd_;
    std::string buffer_;
    size_t start_ = 0;
};

} // namespace

Result<Imported> import_mbox(const std::string& dir, int fd) {
    auto lock = Lock::acquire(dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto num = read_num(dir);
    if (!num)
        return fail(num.error());
    Imported out;
    out.first = num->last + 1;
    unsigned long n = num->last;
    unsigned long kbytes = num->kbytes.value_or(0);
    std::string message;
    bool in_message = false;
    auto finish = [&]() -> Status {
        if (!in_message)
            return {};
        const std::string block = dir + "/archive/" + std::to_string(n / 100);
        if (::mkdir(block.c_str(), 0755) != 0 && errno != EEXIST)
            return fail(from_errno(errno, "unable to create " + block));
        const std::string path = archive_path(dir, n);
        if (auto w = write_file_atomic(path, message, 0744); !w)
            return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
        // num's counter in 256-byte units, rounded, as ezmlm-idx 7's import adds it.
        kbytes += (message.size() + 128) >> 8;
        message.clear();
        return {};
    };
    std::string line;
    LineReader reader(fd);
    for (;;) {
        auto got = reader.next(line);
        if (!got)
            return fail(got.error());
        if (!*got)
            break;
        if (line.size() > 5 && line.starts_with("From ")) {
            if (auto s = finish(); !s)
                return fail(s.error());
            ++n;
            in_message = true;
            continue;
        }
        if (in_message)
            message += line;
    }
    if (auto s = finish(); !s)
        return fail(s.error());
    out.last = n;
    if (auto w = write_num(dir, Num{n, kbytes}); !w)
        return fail(w.error());
    return out;
}

} // namespace qm::lists

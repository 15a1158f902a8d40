#include "internal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qm::local::detail {

namespace {

Result<UniqueFd> memfd_copy(int message_fd) {
    UniqueFd m(::memfd_create("qmail-local-message", MFD_CLOEXEC));
    if (!m)
        return fail(from_errno(errno, "Unable to copy message"));
    if (auto c = copy_message(message_fd, m.get()); !c)
        return fail(c.error());
    if (::lseek(m.get(), 0, SEEK_SET) != 0)
        return fail(temp("4.3.0", "Unable to rewind message."));
    return m;
}

} // namespace

Result<UniqueFd> fresh_message_fd(int message_fd) {
    struct stat st {};
    if (::fstat(message_fd, &st) != 0)
        return fail(from_errno(errno, "Unable to read message"));
    if (S_ISREG(st.st_mode)) {
        std::string self = "/proc/self/fd/" + std::to_string(message_fd);
        UniqueFd fd(::open(self.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd)
            return fd;
    }
    return memfd_copy(message_fd);
}

Result<std::string_view> MessageReader::next() {
    for (;;) {
        ssize_t n = ::pread(fd_, buf_.data(), buf_.size(), offset_);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(
                temp("4.3.0", std::string("Unable to read message: ") + error_text(errno) + "."));
        }
        offset_ += n;
        return std::string_view(buf_.data(), static_cast<size_t>(n));
    }
}

Result<bool> header_has_line(int message_fd, std::string_view line) {
    MessageReader reader(message_fd, 8192);
    std::string current;
    bool overlong = false; // longer than `line`, so it cannot match: not kept
    for (;;) {
        auto block = reader.next();
        if (!block)
            return fail(block.error());
        if (block->empty())
            return false; // the last line had no newline: qmail stops there too
        std::string_view b = *block;
        while (!b.empty()) {
            size_t nl = b.find('\n');
            std::string_view piece = nl == std::string_view::npos ? b : b.substr(0, nl + 1);
            if (!overlong) {
                if (current.size() + piece.size() > line.size())
                    overlong = true;
                else
                    current.append(piece);
            }
            if (nl == std::string_view::npos)
                break;
            b.remove_prefix(nl + 1);
            if (!overlong && current.size() <= 1)
                return false; // the empty line ending the header
            if (!overlong && current == line)
                return true;
            current.clear();
            overlong = false;
        }
    }
}

Status copy_message(int message_fd, int out_fd) {
    loff_t in_off = 0;
    bool kernel_copy = true;
    for (;;) {
        if (kernel_copy) {
            ssize_t n = ::copy_file_range(message_fd, &in_off, out_fd, nullptr, 1 << 30, 0);
            if (n > 0)
                continue;
            if (n == 0)
                return {};
            if (errno == EINTR)
                continue;
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP &&
                errno != EBADF)
                return fail(from_errno(errno, "Unable to copy message"));
            kernel_copy = false; // pipes, memfds on old kernels: plain reads and writes
        }
        char buf[65536];
        ssize_t n = ::pread(message_fd, buf, sizeof buf, in_off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(temp("4.3.0", "Unable to read message."));
        }
        if (n == 0)
            return {};
        in_off += n;
        if (auto w = write_all(out_fd, std::string_view(buf, static_cast<size_t>(n))); !w)
            return w;
    }
}

bool open_error_is_temporary(int err) {
    return err == EACCES || err == EPERM || is_temporary_errno(err);
}

} // namespace qm::local::detail

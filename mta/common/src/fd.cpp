#include "qm/fd.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace qm {

void UniqueFd::reset(int fd) {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = fd;
}

Status write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(from_errno(errno, "write"));
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Status write_all_by(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline) {
    using clock = std::chrono::steady_clock;
    bool socket = true;
    while (!data.empty()) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        pollfd p{fd, POLLOUT, 0};
        const int ready =
            left.count() <= 0
                ? 0
                : ::poll(&p, 1,
                         static_cast<int>(std::min<long long>(left.count(), 24LL * 3600 * 1000)));
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            return fail(from_errno(errno, "poll"));
        }
        if (ready == 0)
            return fail(temp("4.4.2", std::string(write_timeout_text)));
        ssize_t n = -1;
        if (socket) {
            n = ::send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno == ENOTSOCK) {
                socket = false;
                continue;
            }
        } else {
            n = ::write(fd, data.data(), std::min<size_t>(data.size(), PIPE_BUF));
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return fail(from_errno(errno, "write"));
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Result<std::string> read_all(int fd) {
    std::string out;
    // A file's size known up front: one allocation of that size instead of doubling, which
    // for a large queue file (a 100,000-recipient remote/N) would hold up to twice its bytes.
    if (struct stat st{}; ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        out.reserve(static_cast<size_t>(st.st_size));
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(from_errno(errno, "read"));
        }
        if (n == 0)
            return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

Result<std::string> read_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return fail(from_errno(errno, "unable to open " + path));
    auto r = read_all(fd.get());
    if (!r)
        return fail(from_errno(errno, "unable to read " + path));
    return r;
}

Status fsync_fd(int fd, std::string_view what) {
    if (::fsync(fd) != 0)
        return fail(from_errno(errno, std::string("fsync ") + std::string(what)));
    return {};
}

Status fsync_dir(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        return fail(from_errno(errno, "open directory " + dir));
    return fsync_fd(fd.get(), dir);
}

std::string dirname_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    if (slash == 0)
        return "/";
    return path.substr(0, slash);
}

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd)
        return fail(from_errno(errno, "unable to create " + tmp));
    auto undo = [&](Failure f) {
        ::unlink(tmp.c_str());
        return fail(std::move(f));
    };
    if (auto w = write_all(fd.get(), data); !w)
        return undo(w.error());
    if (auto s = fsync_fd(fd.get(), tmp); !s)
        return undo(s.error());
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return undo(from_errno(errno, "unable to rename " + tmp + " to " + path));
    return fsync_dir(dirname_of(path));
}

Status make_owned_dir(const std::string& path, uid_t uid, gid_t gid, mode_t mode) {
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + path));
    if (::geteuid() == 0 && ::chown(path.c_str(), uid, gid) != 0)
        return fail(from_errno(errno, "unable to chown " + path));
    if (::chmod(path.c_str(), mode) != 0)
        return fail(from_errno(errno, "unable to chmod " + path));
    return {};
}

int seekable_stdin(const char* name) {
    struct stat st {};
    if (::fstat(0, &st) == 0 && S_ISREG(st.st_mode))
        return 0;
    UniqueFd m(::memfd_create(name, MFD_CLOEXEC));
    if (!m)
        return -1;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(0, buf, sizeof buf);
        if (n == 0)
            return m.release();
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || !write_all(m.get(), std::string_view(buf, static_cast<size_t>(n))))
            return -1;
    }
}

} // namespace qm

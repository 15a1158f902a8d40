// RAII file descriptors and the small set of POSIX I/O helpers every program needs:
// full reads and writes that retry on EINTR, fsync of files and of directories (a
// rename or link is durable only once its directory is synced).
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

namespace qm {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd)
        : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& o) noexcept
        : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~UniqueFd() { reset(); }

    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

// Writes everything or returns the errno-derived failure.
[[nodiscard]] Status write_all(int fd, std::string_view data);
// Writes everything to a peer that may stop reading (a network client on stdout): waits
// for room at most until deadline, then fails temporarily ("write timeout"). It never
// blocks inside write itself: a socket is written with MSG_DONTWAIT, anything else (a
// pipe) at most PIPE_BUF bytes at a time once poll reports room, which POSIX guarantees
// to fit. The descriptor's flags are left alone: it may be shared with tcpserver's side.
// A timeout fails with the text write_timeout_text (a peer that left: errno's text).
inline constexpr std::string_view write_timeout_text = "write timeout";
[[nodiscard]] Status write_all_by(int fd, std::string_view data,
                                  std::chrono::steady_clock::time_point deadline);
// Reads until EOF.
[[nodiscard]] Result<std::string> read_all(int fd);
// The message on stdin as a file that can be read again from offset 0: fd 0 itself when
// it is a regular file, else a close-on-exec memfd (named `name`) holding a copy of it.
// -1 when it cannot be read.
[[nodiscard]] int seekable_stdin(const char* name);
// Reads a whole file; nullopt-like: ENOENT gives an empty optional via the bool.
[[nodiscard]] Result<std::string> read_file(const std::string& path);
[[nodiscard]] Status fsync_fd(int fd, std::string_view what);
[[nodiscard]] Status fsync_dir(const std::string& dir);
// Writes path atomically and durably: tmp file in the same directory, fsync, rename,
// fsync of the directory. A reader sees the old or the new content, never a mix.
[[nodiscard]] Status write_file_atomic(const std::string& path, std::string_view data,
                                       unsigned mode = 0644);
[[nodiscard]] std::string dirname_of(const std::string& path);
// Creates the directory path (an existing one is kept) and gives it mode, owned by uid:gid
// when run as root; in normal-user mode every id is ours and chown is neither needed nor
// allowed.
[[nodiscard]] Status make_owned_dir(const std::string& path, uid_t uid, gid_t gid, mode_t mode);

} // namespace qm

// The power-cut recorder, loaded with LD_PRELOAD into every program of a mail root
// (powercut.hpp has the model and the replay). It passes every call through and, for a
// call that changes a file or directory under $QM_POWERCUT_ROOT, appends one record to the
// log $QM_POWERCUT_LOG: O_APPEND and one writev(2) per record, so that the records of all
// processes and threads interleave whole, each after its call has returned. A flush is two
// records, one before the call and one after it succeeded: it covers what was logged
// before it began, and counts only once it has ended.
//
// Records are one text line, fields separated by spaces, paths absolute with bytes
// <= ' ', '%' and >= 0x7f written %XX; a W line is followed by its data:
//   C pid ino mode path     a regular file created (O_CREAT that made it)
//   W pid ino offset len    len bytes written at offset (write, pwrite, writev, pwritev,
//                           copy_file_range)
//   T pid ino size          truncated or extended to size (ftruncate, truncate, O_TRUNC)
//   L pid ino path          path now names ino (link, or a rename's new name in another
//                           directory)
//   U pid path              path removed (unlink, or a rename's old name)
//   R pid from to           rename within one directory: one step
//   M pid mode path         directory made;  D pid path  directory removed
//   S pid id F ino | S pid id D path | S pid id A
//                           a flush began: fsync/fdatasync of a file or a directory,
//                           syncfs or sync (A, everything)
//   E pid id                that flush returned 0
//   N pid sync_file_range   noted only: it flushes nothing the model counts
// Not seen: stdio (glibc's internal calls), mmap, fallocate and the other calls the MTA does
// not make on its queue; sockets and FIFOs are not files.
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

template <class F>
F real(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

// errno as the real call left it, whatever the recording does after it.
struct KeepErrno {
    int saved = errno;
    ~KeepErrno() { errno = saved; }
};

struct Config {
    char root[PATH_MAX] = {};
    size_t root_len = 0;
    char log[PATH_MAX] = {};
    bool active = false;
};

const Config& config() {
    static const Config c = [] {
        Config k;
        const char* root = std::getenv("QM_POWERCUT_ROOT");
        const char* log = std::getenv("QM_POWERCUT_LOG");
        if (!root || !log || root[0] != '/' || std::strlen(root) >= PATH_MAX ||
            std::strlen(log) >= PATH_MAX)
            return k;
        std::strcpy(k.root, root);
        k.root_len = std::strlen(root);
        while (k.root_len > 1 && k.root[k.root_len - 1] == '/')
            k.root[--k.root_len] = '\0';
        std::strcpy(k.log, log);
        k.active = true;
        return k;
    }();
    return c;
}

// The log's descriptor, checked against the file it was opened on before each record: a
// program may close every descriptor (closefrom before an exec) and reuse the number.
std::atomic<int> log_fd{-1};
std::atomic<dev_t> log_dev{0};
std::atomic<ino_t> log_ino{0};

int log_descriptor() {
    const int fd = log_fd.load();
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_dev == log_dev.load() &&
        st.st_ino == log_ino.load())
        return fd;
    const int opened = static_cast<int>(
        ::syscall(SYS_openat, AT_FDCWD, config().log, O_WRONLY | O_APPEND | O_CLOEXEC));
    if (opened < 0)
        return -1;
    // High, out of the way of the programs' own dup2(x, 0..2) and the like.
    int high = ::fcntl(opened, F_DUPFD_CLOEXEC, 900);
    if (high >= 0)
        ::syscall(SYS_close, opened);
    else
        high = opened;
    if (::fstat(high, &st) != 0)
        return -1;
    log_dev = st.st_dev;
    log_ino = st.st_ino;
    log_fd = high;
    return high;
}

void emit(const iovec* iov, int count) {
    const int fd = log_descriptor();
    if (fd < 0)
        return;
    // One call for the whole record: appends to a regular file do not interleave.
    ::syscall(SYS_writev, fd, iov, count);
}

void emit_line(const char* line) {
    iovec v{const_cast<char*>(line), std::strlen(line)};
    emit(&v, 1);
}

// path with the bytes a record cannot hold as %XX.
void escape(const char* path, char* out, size_t cap) {
    size_t o = 0;
    for (const unsigned char* p = reinterpret_cast<const unsigned char*>(path); *p && o + 4 < cap;
         ++p) {
        if (*p <= ' ' || *p == '%' || *p >= 0x7f)
            o += static_cast<size_t>(std::snprintf(out + o, cap - o, "%%%02X", *p));
        else
            out[o++] = static_cast<char>(*p);
    }
    out[o] = '\0';
}

bool under_root(const char* abs) {
    const Config& c = config();
    return std::strncmp(abs, c.root, c.root_len) == 0 &&
           (abs[c.root_len] == '\0' || abs[c.root_len] == '/');
}

// "a//b/./c/../d/" -> "a/b/d", in place; abs starts with '/'.
void normalize(char* abs) {
    char out[PATH_MAX];
    size_t o = 0;
    const char* p = abs;
    while (*p) {
        while (*p == '/')
            ++p;
        const char* start = p;
        while (*p && *p != '/')
            ++p;
        const size_t len = static_cast<size_t>(p - start);
        if (len == 0 || (len == 1 && start[0] == '.'))
            continue;
        if (len == 2 && start[0] == '.' && start[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                --o;
            if (o > 0)
                --o;
            continue;
        }
        if (o + 1 + len >= sizeof out)
            break;
        out[o++] = '/';
        std::memcpy(out + o, start, len);
        o += len;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    std::strcpy(abs, out);
}

bool fd_path(int fd, char* out) {
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t n = ::readlink(link, out, PATH_MAX - 1);
    if (n <= 0)
        return false;
    out[n] = '\0';
    // A removed file's link reads "path (deleted)".
    static const char deleted[] = " (deleted)";
    const size_t len = static_cast<size_t>(n), dl = sizeof deleted - 1;
    if (len > dl && std::strcmp(out + len - dl, deleted) == 0)
        out[len - dl] = '\0';
    return out[0] == '/';
}

// The absolute, normalized form of (dirfd, path) in out, when it is under the root.
bool resolve(int dirfd, const char* path, char* out) {
    if (!config().active || !path)
        return false;
    if (path[0] == '/') {
        if (std::strlen(path) >= PATH_MAX)
            return false;
        std::strcpy(out, path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!::getcwd(base, sizeof base))
                return false;
        } else if (!fd_path(dirfd, base)) {
            return false;
        }
        if (std::snprintf(out, PATH_MAX, "%s/%s", base, path) >= PATH_MAX)
            return false;
    }
    normalize(out);
    return under_root(out);
}

struct Tracked {
    ino_t ino = 0;
    bool dir = false;
    char path[PATH_MAX];
};

// A regular file or directory under the root, open on fd.
bool tracked(int fd, Tracked& t) {
    if (!config().active)
        return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
        return false;
    if (!fd_path(fd, t.path) || !under_root(t.path))
        return false;
    t.ino = st.st_ino;
    t.dir = S_ISDIR(st.st_mode);
    return true;
}

void record_write(ino_t ino, off_t offset, const iovec* data, int count, size_t total) {
    char head[128];
    std::snprintf(head, sizeof head, "W %d %lu %lld %zu\n", ::getpid(),
                  static_cast<unsigned long>(ino), static_cast<long long>(offset), total);
    iovec v[IOV_MAX];
    v[0] = {head, std::strlen(head)};
    int n = 1;
    size_t left = total;
    for (int i = 0; i < count && left > 0 && n < IOV_MAX; ++i) {
        const size_t take = data[i].iov_len < left ? data[i].iov_len : left;
        v[n++] = {data[i].iov_base, take};
        left -= take;
    }
    emit(v, n);
}

void written(int fd, const iovec* data, int count, ssize_t n, off_t offset) {
    if (n <= 0)
        return;
    KeepErrno keep;
    Tracked t;
    if (!tracked(fd, t) || t.dir)
        return;
    if (offset < 0) // the file position moved past what was written (O_APPEND too)
        offset = ::lseek(fd, 0, SEEK_CUR) - n;
    record_write(t.ino, offset, data, count, static_cast<size_t>(n));
}

void record_path(char type, const char* abs) {
    char esc[PATH_MAX * 3], line[PATH_MAX * 3 + 64];
    escape(abs, esc, sizeof esc);
    std::snprintf(line, sizeof line, "%c %d %s\n", type, ::getpid(), esc);
    emit_line(line);
}

void record_ino_path(char type, unsigned long number, const char* abs) {
    char esc[PATH_MAX * 3], line[PATH_MAX * 3 + 64];
    escape(abs, esc, sizeof esc);
    std::snprintf(line, sizeof line, "%c %d %lu %s\n", type, ::getpid(), number, esc);
    emit_line(line);
}

void record_truncate(ino_t ino, off_t size) {
    char line[96];
    std::snprintf(line, sizeof line, "T %d %lu %lld\n", ::getpid(), static_cast<unsigned long>(ino),
                  static_cast<long long>(size));
    emit_line(line);
}

void record_created(const char* abs, int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    char esc[PATH_MAX * 3], line[PATH_MAX * 3 + 96];
    escape(abs, esc, sizeof esc);
    std::snprintf(line, sizeof line, "C %d %lu %o %s\n", ::getpid(),
                  static_cast<unsigned long>(st.st_ino), static_cast<unsigned>(st.st_mode & 07777),
                  esc);
    emit_line(line);
}

template <class Call>
int opened(int dirfd, const char* path, int flags, Call call) {
    char abs[PATH_MAX];
    if (!resolve(dirfd, path, abs))
        return call();
    bool existed = true;
    if ((flags & O_CREAT) && !(flags & O_EXCL)) {
        struct stat st {};
        existed = ::stat(abs, &st) == 0;
    }
    const int fd = call();
    if (fd < 0)
        return fd;
    KeepErrno keep;
    if ((flags & O_CREAT) && ((flags & O_EXCL) || !existed)) {
        record_created(abs, fd);
    } else if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            record_truncate(st.st_ino, 0);
    }
    return fd;
}

mode_t mode_arg(int flags, va_list ap) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

std::atomic<unsigned long> flush_counter{0};

// Runs a flush between its S and E records; target is "F ino", "D path" or "A".
template <class Call>
int flushed(const char* target, Call call) {
    char id[64], line[PATH_MAX * 3 + 192];
    std::snprintf(id, sizeof id, "%d.%lu", ::getpid(), ++flush_counter);
    {
        KeepErrno keep;
        std::snprintf(line, sizeof line, "S %d %s %s\n", ::getpid(), id, target);
        emit_line(line);
    }
    const int r = call();
    if (r == 0) {
        KeepErrno keep;
        std::snprintf(line, sizeof line, "E %d %s\n", ::getpid(), id);
        emit_line(line);
    }
    return r;
}

template <class Call>
int fd_flush(int fd, Call call) {
    Tracked t;
    bool is_tracked = false;
    {
        KeepErrno keep;
        is_tracked = tracked(fd, t);
    }
    if (!is_tracked)
        return call();
    char target[PATH_MAX * 3 + 32];
    if (t.dir) {
        char esc[PATH_MAX * 3];
        escape(t.path, esc, sizeof esc);
        std::snprintf(target, sizeof target, "D %s", esc);
    } else {
        std::snprintf(target, sizeof target, "F %lu", static_cast<unsigned long>(t.ino));
    }
    return flushed(target, call);
}

// A new name for an inode, or the names a rename moved.
void renamed(const char* from, const char* to, bool from_in, bool to_in) {
    KeepErrno keep;
    struct stat st {};
    if (to_in && ::lstat(to, &st) != 0)
        return;
    const char* slash_from = std::strrchr(from, '/');
    const char* slash_to = std::strrchr(to, '/');
    const bool same_dir = from_in && to_in && slash_from - from == slash_to - to &&
                          std::strncmp(from, to, static_cast<size_t>(slash_to - to)) == 0;
    if (same_dir) {
        char ef[PATH_MAX * 3], et[PATH_MAX * 3], line[PATH_MAX * 6 + 64];
        escape(from, ef, sizeof ef);
        escape(to, et, sizeof et);
        std::snprintf(line, sizeof line, "R %d %s %s\n", ::getpid(), ef, et);
        emit_line(line);
        return;
    }
    if (to_in)
        record_ino_path('L', st.st_ino, to);
    if (from_in)
        record_path('U', from);
}

int renaming(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, unsigned flags,
             int r) {
    if (r != 0)
        return r;
    KeepErrno keep;
    char from[PATH_MAX], to[PATH_MAX];
    const bool from_in = resolve(olddirfd, oldpath, from);
    const bool to_in = resolve(newdirfd, newpath, to);
    if (flags & RENAME_EXCHANGE) {
        // Two names swapped: each now names the other's inode.
        struct stat st {};
        if (to_in && ::lstat(to, &st) == 0)
            record_ino_path('L', st.st_ino, to);
        if (from_in && ::lstat(from, &st) == 0)
            record_ino_path('L', st.st_ino, from);
        return r;
    }
    renamed(from, to, from_in, to_in);
    return r;
}

// After a call on (dirfd, path) that returned r: record(absolute path) when it worked
// and the path is under the root; r either way, errno untouched.
template <class Record>
int after_call_at(int dirfd, const char* path, int r, Record record) {
    if (r != 0)
        return r;
    KeepErrno keep;
    char abs[PATH_MAX];
    if (resolve(dirfd, path, abs))
        record(abs);
    return r;
}

int linked(int newdirfd, const char* newpath, int r) {
    return after_call_at(newdirfd, newpath, r, [](const char* to) {
        struct stat st {};
        if (::lstat(to, &st) == 0)
            record_ino_path('L', st.st_ino, to);
    });
}

int removed(int dirfd, const char* path, bool dir, int r) {
    return after_call_at(dirfd, path, r,
                         [dir](const char* abs) { record_path(dir ? 'D' : 'U', abs); });
}

int made_dir(int dirfd, const char* path, mode_t mode, int r) {
    return after_call_at(dirfd, path, r,
                         [mode](const char* abs) { record_ino_path('M', mode, abs); });
}

// The same after ftruncate(fd, length) returned r.
int truncated_fd(int fd, off_t length, int r) {
    if (r == 0) {
        KeepErrno keep;
        Tracked t;
        if (tracked(fd, t) && !t.dir)
            record_truncate(t.ino, length);
    }
    return r;
}

int truncated_path(const char* path, int r) {
    return after_call_at(AT_FDCWD, path, r, [](const char* abs) {
        struct stat st {};
        if (::stat(abs, &st) == 0 && S_ISREG(st.st_mode))
            record_truncate(st.st_ino, st.st_size);
    });
}

} // namespace

extern "C" {

// NOLINTBEGIN(bugprone-reserved-identifier): glibc's own names, interposed.

int open(const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    static auto f = real<int (*)(const char*, int, ...)>("open");
    return opened(AT_FDCWD, path, flags, [&] { return f(path, flags, mode); });
}

int open64(const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    static auto f = real<int (*)(const char*, int, ...)>("open64");
    return opened(AT_FDCWD, path, flags, [&] { return f(path, flags, mode); });
}

int openat(int dirfd, const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    static auto f = real<int (*)(int, const char*, int, ...)>("openat");
    return opened(dirfd, path, flags, [&] { return f(dirfd, path, flags, mode); });
}

int openat64(int dirfd, const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    const mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    static auto f = real<int (*)(int, const char*, int, ...)>("openat64");
    return opened(dirfd, path, flags, [&] { return f(dirfd, path, flags, mode); });
}

int __open_2(const char* path, int flags) {
    static auto f = real<int (*)(const char*, int)>("__open_2");
    return opened(AT_FDCWD, path, flags, [&] { return f(path, flags); });
}

int __open64_2(const char* path, int flags) {
    static auto f = real<int (*)(const char*, int)>("__open64_2");
    return opened(AT_FDCWD, path, flags, [&] { return f(path, flags); });
}

int __openat_2(int dirfd, const char* path, int flags) {
    static auto f = real<int (*)(int, const char*, int)>("__openat_2");
    return opened(dirfd, path, flags, [&] { return f(dirfd, path, flags); });
}

int __openat64_2(int dirfd, const char* path, int flags) {
    static auto f = real<int (*)(int, const char*, int)>("__openat64_2");
    return opened(dirfd, path, flags, [&] { return f(dirfd, path, flags); });
}

// NOLINTEND(bugprone-reserved-identifier)

int creat(const char* path, mode_t mode) {
    static auto f = real<int (*)(const char*, mode_t)>("creat");
    return opened(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, [&] { return f(path, mode); });
}

int creat64(const char* path, mode_t mode) {
    static auto f = real<int (*)(const char*, mode_t)>("creat64");
    return opened(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, [&] { return f(path, mode); });
}

ssize_t write(int fd, const void* buf, size_t count) {
    static auto f = real<ssize_t (*)(int, const void*, size_t)>("write");
    const ssize_t n = f(fd, buf, count);
    iovec v{const_cast<void*>(buf), count};
    written(fd, &v, 1, n, -1);
    return n;
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
    static auto f = real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
    const ssize_t n = f(fd, buf, count, offset);
    iovec v{const_cast<void*>(buf), count};
    written(fd, &v, 1, n, offset);
    return n;
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
    static auto f = real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite64");
    const ssize_t n = f(fd, buf, count, offset);
    iovec v{const_cast<void*>(buf), count};
    written(fd, &v, 1, n, offset);
    return n;
}

ssize_t writev(int fd, const iovec* iov, int count) {
    static auto f = real<ssize_t (*)(int, const iovec*, int)>("writev");
    const ssize_t n = f(fd, iov, count);
    written(fd, iov, count, n, -1);
    return n;
}

ssize_t pwritev(int fd, const iovec* iov, int count, off_t offset) {
    static auto f = real<ssize_t (*)(int, const iovec*, int, off_t)>("pwritev");
    const ssize_t n = f(fd, iov, count, offset);
    written(fd, iov, count, n, offset);
    return n;
}

ssize_t pwritev64(int fd, const iovec* iov, int count, off_t offset) {
    static auto f = real<ssize_t (*)(int, const iovec*, int, off_t)>("pwritev64");
    const ssize_t n = f(fd, iov, count, offset);
    written(fd, iov, count, n, offset);
    return n;
}

ssize_t pwritev2(int fd, const iovec* iov, int count, off_t offset, int flags) {
    static auto f = real<ssize_t (*)(int, const iovec*, int, off_t, int)>("pwritev2");
    const ssize_t n = f(fd, iov, count, offset, flags);
    written(fd, iov, count, n, offset);
    return n;
}

ssize_t copy_file_range(int in, loff_t* in_off, int out, loff_t* out_off, size_t len,
                        unsigned flags) {
    static auto f =
        real<ssize_t (*)(int, loff_t*, int, loff_t*, size_t, unsigned)>("copy_file_range");
    const off_t in_at = in_off ? *in_off : ::lseek(in, 0, SEEK_CUR);
    const off_t out_at = out_off ? *out_off : -1;
    const ssize_t n = f(in, in_off, out, out_off, len, flags);
    if (n <= 0)
        return n;
    KeepErrno keep;
    Tracked t;
    if (!tracked(out, t) || t.dir)
        return n;
    const off_t at = out_at >= 0 ? out_at : ::lseek(out, 0, SEEK_CUR) - n;
    // The bytes are read back from the source: the destination may be write-only.
    char buf[65536];
    for (off_t done = 0; done < n;) {
        const size_t want =
            static_cast<size_t>(n - done) < sizeof buf ? static_cast<size_t>(n - done) : sizeof buf;
        const ssize_t got = ::pread(in, buf, want, in_at + done);
        if (got <= 0)
            break;
        iovec v{buf, static_cast<size_t>(got)};
        record_write(t.ino, at + done, &v, 1, static_cast<size_t>(got));
        done += got;
    }
    return n;
}

int ftruncate(int fd, off_t length) {
    static auto f = real<int (*)(int, off_t)>("ftruncate");
    return truncated_fd(fd, length, f(fd, length));
}

int ftruncate64(int fd, off_t length) {
    static auto f = real<int (*)(int, off_t)>("ftruncate64");
    return truncated_fd(fd, length, f(fd, length));
}

int truncate(const char* path, off_t length) {
    static auto f = real<int (*)(const char*, off_t)>("truncate");
    return truncated_path(path, f(path, length));
}

int truncate64(const char* path, off_t length) {
    static auto f = real<int (*)(const char*, off_t)>("truncate64");
    return truncated_path(path, f(path, length));
}

int rename(const char* oldpath, const char* newpath) {
    static auto f = real<int (*)(const char*, const char*)>("rename");
    return renaming(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0, f(oldpath, newpath));
}

int renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath) {
    static auto f = real<int (*)(int, const char*, int, const char*)>("renameat");
    return renaming(olddirfd, oldpath, newdirfd, newpath, 0,
                    f(olddirfd, oldpath, newdirfd, newpath));
}

int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
              unsigned flags) {
    static auto f = real<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
    return renaming(olddirfd, oldpath, newdirfd, newpath, flags,
                    f(olddirfd, oldpath, newdirfd, newpath, flags));
}

int link(const char* oldpath, const char* newpath) {
    static auto f = real<int (*)(const char*, const char*)>("link");
    return linked(AT_FDCWD, newpath, f(oldpath, newpath));
}

int linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, int flags) {
    static auto f = real<int (*)(int, const char*, int, const char*, int)>("linkat");
    return linked(newdirfd, newpath, f(olddirfd, oldpath, newdirfd, newpath, flags));
}

int unlink(const char* path) {
    static auto f = real<int (*)(const char*)>("unlink");
    return removed(AT_FDCWD, path, false, f(path));
}

int unlinkat(int dirfd, const char* path, int flags) {
    static auto f = real<int (*)(int, const char*, int)>("unlinkat");
    return removed(dirfd, path, (flags & AT_REMOVEDIR) != 0, f(dirfd, path, flags));
}

int rmdir(const char* path) {
    static auto f = real<int (*)(const char*)>("rmdir");
    return removed(AT_FDCWD, path, true, f(path));
}

int mkdir(const char* path, mode_t mode) {
    static auto f = real<int (*)(const char*, mode_t)>("mkdir");
    return made_dir(AT_FDCWD, path, mode, f(path, mode));
}

int mkdirat(int dirfd, const char* path, mode_t mode) {
    static auto f = real<int (*)(int, const char*, mode_t)>("mkdirat");
    return made_dir(dirfd, path, mode, f(dirfd, path, mode));
}

int fsync(int fd) {
    static auto f = real<int (*)(int)>("fsync");
    return fd_flush(fd, [&] { return f(fd); });
}

int fdatasync(int fd) {
    static auto f = real<int (*)(int)>("fdatasync");
    return fd_flush(fd, [&] { return f(fd); });
}

int syncfs(int fd) {
    static auto f = real<int (*)(int)>("syncfs");
    if (!config().active)
        return f(fd);
    return flushed("A", [&] { return f(fd); });
}

void sync() {
    static auto f = real<void (*)()>("sync");
    if (!config().active)
        return f();
    flushed("A", [&] {
        f();
        return 0;
    });
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
    static auto f = real<int (*)(int, off64_t, off64_t, unsigned)>("sync_file_range");
    const int r = f(fd, offset, nbytes, flags);
    KeepErrno keep;
    Tracked t;
    if (tracked(fd, t)) {
        char line[64];
        std::snprintf(line, sizeof line, "N %d sync_file_range\n", ::getpid());
        emit_line(line);
    }
    return r;
}

} // extern "C"

#include "qm/web/index/indexer.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/web/index/index.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace qm::web {

namespace {

Status check_list(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return fail(perm("5.1.1", dir + " does not exist"));
        return fail(from_errno(errno, "unable to stat " + dir));
    }
    if (!S_ISDIR(st.st_mode))
        return fail(perm("5.1.1", dir + " is not a list directory"));
    // The runs from the list's .qmail are the owner's: files root made here they could
    // not write, and the index would silently stop growing.
    if (::geteuid() == 0 && st.st_uid != 0)
        return fail(perm("5.3.0", dir + " belongs to uid " + std::to_string(st.st_uid) +
                                      ": run ezmlm-webindex as the list's owner"));
    auto outlocal = qm::lists::read_setting(dir, "outlocal");
    if (!outlocal)
        return fail(outlocal.error());
    if (!*outlocal)
        return fail(perm("5.1.1", dir + " is not a list directory (it has no outlocal)"));
    if (!qm::lists::has_flag(dir, "archived"))
        return fail(perm("5.3.0", "the list in " + dir + " is not archived (ezmlm-make -a)"));
    return {};
}

// The last number ezmlm-send has given out for good.
Result<unsigned long> archived_up_to(const std::string& dir) {
    auto lock = qm::lists::Lock::acquire(dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto num = qm::lists::read_num(dir);
    if (!num)
        return fail(num.error());
    return num->last;
}

// At most limit bytes of fd (a regular file of size bytes).
Result<std::string> read_some(int fd, size_t size, size_t limit, const std::string& path) {
    std::string data(std::min(size, limit), '\0');
    size_t got = 0;
    while (got < data.size()) {
        const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(from_errno(errno, "unable to read " + path));
        }
        if (n == 0)
            break;
        got += static_cast<size_t>(n);
    }
    data.resize(got);
    return data;
}

// Message n into the batch: indexed, or recorded as missing.
Status index_one(Index& index, const std::string& dir, unsigned long n, const Limits& limits,
                 UpdateOutcome& outcome) {
    const std::string path = qm::lists::archive_path(dir, n);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (errno != ENOENT && errno != ENOTDIR)
            return fail(from_errno(errno, "unable to open " + path));
        ++outcome.missing;
        return index.add_missing(n, "not in the archive");
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(from_errno(errno, "unable to stat " + path));
    if (!S_ISREG(st.st_mode) || (st.st_mode & S_IXUSR) == 0) {
        ++outcome.missing;
        return index.add_missing(n, "not completely archived (its owner-execute bit is off)");
    }
    auto data = read_some(fd.get(), static_cast<size_t>(st.st_size), limits.message_bytes, path);
    if (!data)
        return fail(data.error());
    IndexedMessage m = index_message(*data, limits);
    m.size = static_cast<std::uint64_t>(st.st_size);
    if (static_cast<std::uint64_t>(st.st_size) > limits.message_bytes)
        m.truncated = true;
    if (m.date == 0)
        m.date = st.st_mtime; // no readable Date or Received: when it was archived
    ++outcome.indexed;
    return index.add(n, m);
}

Status pass(const std::string& dir, const UpdateOptions& options, bool rebuild,
            UpdateOutcome& outcome) {
    auto prefix = qm::lists::read_setting(dir, "prefix");
    if (!prefix)
        return fail(prefix.error());
    auto index = Index::open(index_path(dir), prefix->value_or(""));
    if (!index)
        return fail(index.error());
    if (rebuild)
        if (auto s = index->reset(); !s)
            return s;
    auto last = index->last_indexed();
    if (!last)
        return fail(last.error());
    auto num = archived_up_to(dir);
    if (!num)
        return fail(num.error());
    outcome.last = *last;
    if (*num <= *last)
        return {};
    const unsigned long total = *num - *last;
    const unsigned long batch = std::max(1UL, options.batch);
    if (auto s = index->begin(); !s)
        return s;
    for (unsigned long n = *last + 1; n <= *num; ++n) {
        if (auto s = index_one(*index, dir, n, options.limits, outcome); !s) {
            index->rollback();
            return s;
        }
        if ((n - *last) % batch == 0 || n == *num) {
            if (auto s = index->commit(n); !s) {
                index->rollback();
                return s;
            }
            outcome.last = n;
            if (n != *num)
                if (auto s = index->begin(); !s)
                    return s;
        }
        if (options.progress)
            options.progress(n - *last, total);
    }
    index->truncate_wal();
    return {};
}

Status make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + path));
    return {};
}

// Leaves the request for another pass.
Status ask_again(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!fd)
        return fail(from_errno(errno, "unable to create " + path));
    return {};
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

} // namespace

Result<UpdateOutcome> update_web_index(const std::string& dir, const UpdateOptions& options) {
    if (auto s = check_list(dir); !s)
        return fail(s.error());
    const std::string web = dir + "/webarchive";
    if (auto s = make_dir(web); !s)
        return fail(s.error());
    const std::string lock_path = web + "/lock";
    const std::string again = web + "/again";
    UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock)
        return fail(from_errno(errno, "unable to open " + lock_path));
    UpdateOutcome outcome;
    if (options.rebuild) {
        while (::flock(lock.get(), LOCK_EX) != 0)
            if (errno != EINTR)
                return fail(from_errno(errno, "unable to lock " + lock_path));
    } else {
        if (auto s = ask_again(again); !s)
            return fail(s.error());
        if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK)
                return fail(from_errno(errno, "unable to lock " + lock_path));
            outcome.handed_over = true;
            return outcome;
        }
    }
    bool rebuild = options.rebuild;
    while (true) {
        // Requests made from here on are covered by this pass: it reads num later.
        if (::unlink(again.c_str()) != 0 && errno != ENOENT)
            return fail(from_errno(errno, "unable to remove " + again));
        if (auto s = pass(dir, options, rebuild, outcome); !s)
            return fail(s.error());
        rebuild = false;
        ::flock(lock.get(), LOCK_UN);
        // A run that found the lock taken asked for another pass; if a third run holds
        // the lock by now, that one covers it.
        if (!exists(again) || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
            return outcome;
    }
}

} // namespace qm::web

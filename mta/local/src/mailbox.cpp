// Maildir and mbox delivery (maildir(5), mbox(5), qmail-local(8)).
#include "internal.hpp"
#include "qm/local/mbox.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace qm::local::detail {

namespace {

std::string errtext(int err) {
    return error_text(err);
}

const std::string& hostname_for_maildir() {
    // Computed once; '/' and ':' cannot appear in a maildir name (maildir(5)).
    static const std::string host = [] {
        char buf[256] = {};
        if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0')
            return std::string("localhost");
        std::string h;
        for (const char* p = buf; *p; ++p) {
            if (*p == '/')
                h += "\\057";
            else if (*p == ':')
                h += "\\072";
            else
                h += *p;
        }
        return h;
    }();
    return host;
}

Failure maildir_temp() {
    return temp("4.3.0", "Temporary error on maildir delivery.");
}

} // namespace

std::string maildir_unique_name() {
    static std::atomic<unsigned long> counter{0};
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    return std::to_string(tv.tv_sec) + ".M" + std::to_string(tv.tv_usec) + "P" +
           std::to_string(::getpid()) + "Q" + std::to_string(++counter) + "." +
           hostname_for_maildir();
}

std::string maildir_stable_name(const StableName& s, std::string_view dir) {
    // FNV-1a, 64 bits: a name, not a secret; the journal id and the line already tell
    // one delivery from another but for the recipient and the place.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&h](std::string_view bytes) {
        for (unsigned char c : bytes) {
            h ^= c;
            h *= 0x100000001b3ULL;
        }
    };
    mix(s.recipient);
    mix(std::string_view("\0", 1));
    mix(dir);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return "J" + std::to_string(s.journal_id) + "." + std::to_string(s.line) + "." + hex + "." +
           hostname_for_maildir();
}

Status deliver_maildir(int home_fd, const std::string& dir, const Lines& lines, int message_fd,
                       const StableName* stable) {
    UniqueFd dfd(::openat(home_fd, dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) {
        if (open_error_is_temporary(errno) && errno != EACCES && errno != EPERM)
            return fail(maildir_temp());
        return fail(temp("4.2.1", "Unable to chdir to maildir."));
    }

    std::string name, tmp;
    UniqueFd fd;
    if (stable) {
        name = maildir_stable_name(*stable, dir);
        // Made already: the crash came after this delivery and before qmail-send marked
        // it done. (A reader that has since flagged or removed it gets it again.)
        for (const std::string& there : {"new/" + name, "cur/" + name + ":2,"})
            if (::faccessat(dfd.get(), there.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return {};
        tmp = "tmp/" + name;
        // A tmp/ file of that name is an attempt a crash cut short: started again.
        for (int tries = 0; tries < 2 && !fd; ++tries) {
            fd.reset(
                ::openat(dfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
            if (!fd && (errno != EEXIST || ::unlinkat(dfd.get(), tmp.c_str(), 0) != 0))
                return fail(maildir_temp());
        }
    }
    // O_EXCL on a name no other process or thread can generate; a collision (a clock
    // step backwards and a recycled pid) just takes another name.
    for (int tries = 0; !stable && tries < 3 && !fd; ++tries) {
        name = maildir_unique_name();
        tmp = "tmp/" + name;
        fd.reset(::openat(dfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd && errno != EEXIST)
            return fail(maildir_temp());
    }
    if (!fd)
        return fail(maildir_temp());

    auto undo = [&](Failure f) {
        ::unlinkat(dfd.get(), tmp.c_str(), 0);
        return fail(std::move(f));
    };
    if (!write_all(fd.get(), lines.rpline + lines.dtline))
        return undo(maildir_temp());
    if (auto c = copy_message(message_fd, fd.get()); !c) {
        if (c.error().text.starts_with("Unable to read message"))
            return undo(temp("4.3.0", "Unable to read message."));
        return undo(maildir_temp());
    }
    // The message must be on disk before its name appears in new/.
    flush_wait_begins();
    if (::fsync(fd.get()) != 0)
        return undo(maildir_temp());
    if (::close(fd.release()) != 0)
        return undo(maildir_temp());

    const std::string fresh = "new/" + name;
    // RENAME_NOREPLACE: atomic like link()+unlink() and never overwrites; file systems
    // without it get the classic link()+unlink().
    if (::renameat2(dfd.get(), tmp.c_str(), dfd.get(), fresh.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno != EINVAL && errno != ENOSYS)
            return undo(maildir_temp());
        if (::linkat(dfd.get(), tmp.c_str(), dfd.get(), fresh.c_str(), 0) != 0)
            return undo(maildir_temp());
        ::unlinkat(dfd.get(), tmp.c_str(), 0);
    }
    // The rename is durable only once new/ itself is on disk.
    UniqueFd newdir(::openat(dfd.get(), "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!newdir || !sync_directory(newdir.get()))
        return fail(maildir_temp());
    return {};
}

Status deliver_mbox(int home_fd, const std::string& path, const Lines& lines, int message_fd) {
    UniqueFd fd(::openat(home_fd, path.c_str(),
                         O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600));
    if (!fd)
        return fail(temp("4.2.1", "Unable to open " + path + ": " + errtext(errno) + "."));
    auto locked = lock_mbox(fd.get());
    if (!locked)
        return fail(locked.error());
    const off_t start = ::lseek(fd.get(), 0, SEEK_END);

    auto undo = [&](Failure f) {
        // Only a locked file may be cut back: unlocked, another writer may have appended.
        if (*locked && start >= 0 && ::ftruncate(fd.get(), start) != 0) {
            // Nothing more to try: the partial message stays, and the retry appends anew.
        }
        return fail(std::move(f));
    };
    auto write_failed = [&](int err) {
        return undo(temp("4.3.0", "Unable to write " + path + ": " + errtext(err) + "."));
    };

    std::string out;
    out.reserve(1 << 16);
    out += lines.ufline;
    out += lines.rpline;
    out += lines.dtline;
    auto flush = [&]() -> bool {
        if (!write_all(fd.get(), out))
            return false;
        out.clear();
        return true;
    };

    MessageReader reader(message_fd);
    bool at_line_start = true;
    std::string pending; // the beginning of a line that may still turn out to be ">*From "
    for (;;) {
        auto block = reader.next();
        if (!block)
            return undo(block.error());
        if (block->empty())
            break;
        std::string_view b = *block;
        while (!b.empty()) {
            if (at_line_start || !pending.empty()) {
                // Decide on quoting once enough of the line is known.
                size_t nl = b.find('\n');
                std::string_view piece =
                    b.substr(0, nl == std::string_view::npos ? b.size() : nl + 1);
                pending.append(piece);
                b.remove_prefix(piece.size());
                size_t gt = pending.find_first_not_of('>');
                bool decided = nl != std::string_view::npos ||
                               (gt != std::string::npos && pending.size() - gt >= 5);
                if (!decided)
                    continue;
                if (needs_from_quote(pending))
                    out += '>';
                out += pending;
                at_line_start = pending.back() == '\n';
                pending.clear();
                continue;
            }
            size_t nl = b.find('\n');
            if (nl == std::string_view::npos) {
                out.append(b);
                b = {};
            } else {
                out.append(b.substr(0, nl + 1));
                b.remove_prefix(nl + 1);
                at_line_start = true;
            }
        }
        if (out.size() >= (1 << 16) && !flush())
            return write_failed(errno);
    }
    if (!pending.empty()) {
        if (needs_from_quote(pending))
            out += '>';
        out += pending;
        at_line_start = false;
    }
    // The message ends with a newline, then one blank line separates it from the next.
    if (!out.empty() ? out.back() != '\n' : !at_line_start)
        out += '\n';
    out += '\n';
    if (!flush())
        return write_failed(errno);
    flush_wait_begins();
    if (::fsync(fd.get()) != 0)
        return write_failed(errno);
    return {};
}

} // namespace qm::local::detail

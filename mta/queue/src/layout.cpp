#include "qm/queue/layout.hpp"

#include "qm/fd.hpp"
#include "qm/home.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <memory>

namespace qm::queue {

Result<std::vector<MessageId>> message_ids_in(const std::string& dir) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d)
        return fail(from_errno(errno, "unable to opendir " + dir));
    std::vector<MessageId> ids;
    errno = 0;
    while (const dirent* e = ::readdir(d.get())) {
        const std::string_view name = e->d_name;
        MessageId id = 0;
        auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
        if (ec == std::errc() && end == name.data() + name.size() && !name.empty())
            ids.push_back(id);
    }
    if (errno != 0)
        return fail(from_errno(errno, "unable to read " + dir));
    return ids;
}

Result<std::vector<MessageId>> message_ids_in_split(const std::string& dir) {
    std::vector<MessageId> ids;
    for (unsigned long s = 0; s < split; ++s) {
        auto part = message_ids_in(dir + "/" + std::to_string(s));
        if (!part)
            return fail(part.error());
        ids.insert(ids.end(), part->begin(), part->end());
    }
    return ids;
}

Layout Layout::from_home() {
    return Layout{home_path("queue")};
}

std::string Layout::split_path(const char* dir, MessageId id) const {
    return root + "/" + dir + "/" + std::to_string(id % split) + "/" + std::to_string(id);
}

std::string Layout::flat_path(const char* dir, MessageId id) const {
    return root + "/" + dir + "/" + std::to_string(id);
}

namespace {

Status make_split_dir(const std::string& path, uid_t uid, gid_t gid, mode_t mode) {
    if (auto s = make_owned_dir(path, uid, gid, mode); !s)
        return s;
    for (unsigned long i = 0; i < split; ++i)
        if (auto s = make_owned_dir(path + "/" + std::to_string(i), uid, gid, mode); !s)
            return s;
    return {};
}

Status make_file(const std::string& path, uid_t uid, gid_t gid, mode_t mode, size_t size) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, mode));
    if (!fd)
        return fail(from_errno(errno, "unable to create " + path));
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && static_cast<size_t>(st.st_size) < size &&
        ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
        return fail(from_errno(errno, "unable to size " + path));
    if (::geteuid() == 0 && ::fchown(fd.get(), uid, gid) != 0)
        return fail(from_errno(errno, "unable to chown " + path));
    if (::fchmod(fd.get(), mode) != 0)
        return fail(from_errno(errno, "unable to chmod " + path));
    return {};
}

// Every part of the queue but lock/trigger, each after the directory holding it, with its
// owner and qmail's mode.
struct Part {
    enum class Kind : std::uint8_t { dir, split_dir, file };
    const char* name; // "" is the queue directory itself
    Kind kind;
    uid_t QueueOwners::*owner;
    mode_t mode;
    size_t size = 0; // a file: at least this many bytes
};

using Kind = Part::Kind;
constexpr Part parts[] = {
    {"", Kind::dir, &QueueOwners::qmailq, 0750},
    {"pid", Kind::dir, &QueueOwners::qmailq, 0700},
    {"intd", Kind::dir, &QueueOwners::qmailq, 0700},
    {"todo", Kind::dir, &QueueOwners::qmailq, 0750},
    {"mess", Kind::split_dir, &QueueOwners::qmailq, 0750},
    {"info", Kind::split_dir, &QueueOwners::qmails, 0700},
    {"local", Kind::split_dir, &QueueOwners::qmails, 0700},
    {"remote", Kind::split_dir, &QueueOwners::qmails, 0700},
    {"bounce", Kind::dir, &QueueOwners::qmails, 0700},
    // lock/ is qmailq's, as in qmail's hier.c: the setuid qmailq qmail-queue must reach
    // lock/trigger (its egid is the injector's, so the group bits do not help it), and
    // qmail-send (qmails) reaches it through group qmail.
    {"lock", Kind::dir, &QueueOwners::qmailq, 0750},
    {"lock/sendmutex", Kind::file, &QueueOwners::qmails, 0600},
    {"lock/tcpto", Kind::file, &QueueOwners::qmailr, 0644, 1024},  // 64 IPv4 records
    {"lock/tcpto6", Kind::file, &QueueOwners::qmailr, 0644, 2048}, // 64 IPv6 records
    {"mtasts", Kind::dir, &QueueOwners::qmailr, 0700},
};

Status make_part(const std::string& root, const Part& part, const QueueOwners& o) {
    const std::string path = *part.name != '\0' ? root + "/" + part.name : root;
    const uid_t uid = o.*part.owner;
    switch (part.kind) {
    case Kind::dir:
        return make_owned_dir(path, uid, o.qmail, part.mode);
    case Kind::split_dir:
        return make_split_dir(path, uid, o.qmail, part.mode);
    case Kind::file:
        return make_file(path, uid, o.qmail, part.mode, part.size);
    }
    return {};
}

} // namespace

Status create(const std::string& root, const QueueOwners& o) {
    for (const Part& part : parts)
        if (auto s = make_part(root, part, o); !s)
            return s;
    std::string trig = root + "/lock/trigger";
    if (::mkfifo(trig.c_str(), 0622) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + trig));
    if (::geteuid() == 0 && ::chown(trig.c_str(), o.qmails, o.qmail) != 0)
        return fail(from_errno(errno, "unable to chown " + trig));
    // mkfifo honours the umask; the trigger must be writable by every injector.
    if (::chmod(trig.c_str(), 0622) != 0)
        return fail(from_errno(errno, "unable to chmod " + trig));
    return {};
}

void pull_trigger(const Layout& layout) {
    // The set-uid qmail-queue writes here as qmailq: a symlink or anything but the FIFO
    // (a file qmailq may write, such as a queued message) must not take the byte.
    UniqueFd fd(::open(layout.trigger().c_str(), O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISFIFO(st.st_mode))
        return;
    char c = 0;
    [[maybe_unused]] auto n = ::write(fd.get(), &c, 1);
}

} // namespace qm::queue

#include "qm/queue/layout.hpp"

#include "qm/fd.hpp"
#include "qm/home.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace qm::queue {

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

} // namespace

Status create(const std::string& root, const QueueOwners& o) {
    const gid_t g = o.qmail;
    Status s = make_owned_dir(root, o.qmailq, g, 0750);
    if (s)
        s = make_owned_dir(root + "/pid", o.qmailq, g, 0700);
    if (s)
        s = make_owned_dir(root + "/intd", o.qmailq, g, 0700);
    if (s)
        s = make_owned_dir(root + "/todo", o.qmailq, g, 0750);
    if (s)
        s = make_split_dir(root + "/mess", o.qmailq, g, 0750);
    if (s)
        s = make_split_dir(root + "/info", o.qmails, g, 0700);
    if (s)
        s = make_split_dir(root + "/local", o.qmails, g, 0700);
    if (s)
        s = make_split_dir(root + "/remote", o.qmails, g, 0700);
    if (s)
        s = make_owned_dir(root + "/bounce", o.qmails, g, 0700);
    // lock/ is qmailq's, as in qmail's hier.c: the setuid qmailq qmail-queue must reach
    // lock/trigger (its egid is the injector's, so the group bits do not help it), and
    // qmail-send (qmails) reaches it through group qmail.
    if (s)
        s = make_owned_dir(root + "/lock", o.qmailq, g, 0750);
    if (s)
        s = make_file(root + "/lock/sendmutex", o.qmails, g, 0600, 0);
    if (s)
        s = make_file(root + "/lock/tcpto", o.qmails, g, 0644, 1024); // 64 IPv4 records
    if (s)
        s = make_file(root + "/lock/tcpto6", o.qmails, g, 0644, 2048); // 64 IPv6 records
    if (s) {
        std::string trig = root + "/lock/trigger";
        if (::mkfifo(trig.c_str(), 0622) != 0 && errno != EEXIST)
            return fail(from_errno(errno, "unable to create " + trig));
        if (::geteuid() == 0 && ::chown(trig.c_str(), o.qmails, g) != 0)
            return fail(from_errno(errno, "unable to chown " + trig));
        // mkfifo honours the umask; the trigger must be writable by every injector.
        if (::chmod(trig.c_str(), 0622) != 0)
            return fail(from_errno(errno, "unable to chmod " + trig));
    }
    return s;
}

void pull_trigger(const Layout& layout) {
    int fd = ::open(layout.trigger().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    char c = 0;
    [[maybe_unused]] auto n = ::write(fd, &c, 1);
    ::close(fd);
}

} // namespace qm::queue

#include "qm/queue/enqueue.hpp"

#include "qm/date.hpp"
#include "qm/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace qm::queue {

std::string received_line(pid_t pid, const std::string& how, std::time_t now) {
    return "Received: (qmail " + std::to_string(pid) + " invoked " + how + "); " + date822(now) +
           "\n";
}

namespace {

// Removes what this run created unless the message reached todo/ (the commit point).
struct Cleanup {
    std::string mess, intd;
    bool committed = false;
    ~Cleanup() {
        if (committed)
            return;
        // qmail truncates before unlinking so a half-written file never lingers in use.
        if (!intd.empty()) {
            ::truncate(intd.c_str(), 0);
            ::unlink(intd.c_str());
        }
        if (!mess.empty()) {
            ::truncate(mess.c_str(), 0);
            ::unlink(mess.c_str());
        }
    }
};

bool copy_message(int from, int to) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(from, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (n == 0)
            return true;
        if (!write_all(to, std::string_view(buf, static_cast<size_t>(n))))
            return false;
    }
}

} // namespace

QueueExit enqueue(const Layout& layout, const EnqueueRequest& req) {
    const pid_t pid = ::getpid();
    const std::time_t start = std::time(nullptr);
    Cleanup cleanup;

    // 1. A unique pid/ file tells us our inode number, which names the message.
    UniqueFd mess_fd;
    std::string pidfn;
    for (int seq = 1; seq <= 9 && !mess_fd; ++seq) {
        pidfn = layout.root + "/pid/" + std::to_string(pid) + "." + std::to_string(start) + "." +
                std::to_string(seq);
        mess_fd.reset(::open(pidfn.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!mess_fd && errno != EEXIST)
            break;
    }
    if (!mess_fd)
        return QueueExit::pid_file_trouble;
    struct stat st {};
    if (::fstat(mess_fd.get(), &st) != 0) {
        ::unlink(pidfn.c_str());
        return QueueExit::pid_file_trouble;
    }
    const MessageId id = st.st_ino;

    // 2. mess/S/N has inode N by construction: link, then drop the pid/ name.
    const std::string mess = layout.mess(id);
    if (::link(pidfn.c_str(), mess.c_str()) != 0) {
        ::unlink(pidfn.c_str());
        return QueueExit::mess_file_trouble;
    }
    cleanup.mess = mess;
    if (::unlink(pidfn.c_str()) != 0)
        return QueueExit::pid_file_trouble;

    // 3. Received line + message bytes, then fsync: the message is on disk before the
    //    envelope that points at it exists.
    if (!write_all(mess_fd.get(), received_line(pid, req.received_how, start)))
        return QueueExit::write_error;
    if (!copy_message(req.message_fd, mess_fd.get()))
        return errno == ENOSPC || errno == EDQUOT || errno == EIO ? QueueExit::write_error
                                                                  : QueueExit::read_error;
    if (::fsync(mess_fd.get()) != 0)
        return QueueExit::write_error;
    mess_fd.reset();

    // 4. The envelope: read it whole, check it, write intd/N and fsync it.
    auto raw = read_all(req.envelope_fd);
    if (!raw)
        return QueueExit::read_error;
    auto env = decode_envelope(*raw);
    if (!env)
        return env.error().code;

    const std::string intd = layout.intd(id);
    UniqueFd intd_fd(::open(intd.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!intd_fd)
        return QueueExit::intd_file_trouble;
    cleanup.intd = intd;
    std::string body;
    body.reserve(raw->size() + 32);
    body += 'u';
    body += std::to_string(::getuid());
    body += '\0';
    body += 'p';
    body += std::to_string(pid);
    body += '\0';
    body += 'F';
    body += env->sender;
    body += '\0';
    for (const auto& r : env->recipients) {
        body += 'T';
        body += r;
        body += '\0';
    }
    if (!write_all(intd_fd.get(), body))
        return QueueExit::write_error;
    if (::fsync(intd_fd.get()) != 0)
        return QueueExit::write_error;
    intd_fd.reset();

    // 5. Commit point: once todo/N exists qmail-send owns the message. fsync the todo
    //    directory so the link itself survives a crash before we report success.
    if (::link(intd.c_str(), layout.todo(id).c_str()) != 0)
        return QueueExit::todo_file_trouble;
    if (!fsync_dir(layout.dir("todo"))) {
        // The link exists but may not be durable; qmail-send may still find it, so do not
        // clean up, but report a temporary failure: the sender will retry (a duplicate at
        // worst, never a loss).
        cleanup.committed = true;
        return QueueExit::write_error;
    }
    cleanup.committed = true;
    pull_trigger(layout);
    return QueueExit::ok;
}

} // namespace qm::queue

// qmail-lspawn's part for root mode: a child that becomes the recipient and delivers,
// its report coming back over a pipe as qmail-lspawn's "K/Z/D text".
#include "qm/fd.hpp"
#include "qm/local/deliver.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace qm::local {

namespace {

Report temporary(std::string text) {
    return Report{Report::Kind::temporary, std::move(text)};
}

[[noreturn]] void child(const Delivery& d, int report_fd) {
    const gid_t gid = d.who.gid;
    if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(d.who.uid) != 0) {
        (void)write_all(report_fd, "ZInternal qmail-lspawn bug.\n");
        ::_exit(0);
    }
    if (::getuid() == 0) {
        (void)write_all(report_fd, "ZNot allowed to perform deliveries as root.\n");
        ::_exit(0);
    }
    // A uid change makes the process non-dumpable, which would hide /proc/self/fd from
    // ourselves (used to reopen the message for programs and forwards).
    ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    Report r = deliver(d);
    std::string msg(1, r.letter());
    msg += r.text;
    (void)write_all(report_fd, msg);
    ::_exit(0);
}

} // namespace

Report deliver_in_child(const Delivery& d) {
    if (d.who.uid == 0)
        return temporary("Not allowed to perform deliveries as root.\n");
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return temporary("Temporary failure in qmail-lspawn.\n");
    UniqueFd rd(p[0]), wr(p[1]);
    pid_t pid = ::fork();
    if (pid < 0)
        return temporary("Temporary failure in qmail-lspawn.\n");
    if (pid == 0) {
        rd.reset();
        child(d, wr.get());
    }
    wr.reset();
    auto msg = read_all(rd.get());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return temporary("qmail-local crashed.\n");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !msg || msg->empty())
        return temporary("qmail-local crashed.\n");
    Report r;
    switch ((*msg)[0]) {
    case 'K':
        r.kind = Report::Kind::success;
        break;
    case 'D':
        r.kind = Report::Kind::permanent;
        break;
    default:
        r.kind = Report::Kind::temporary;
        break;
    }
    r.text = msg->substr(1);
    return r;
}

} // namespace qm::local

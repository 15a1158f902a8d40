#include "qm/send/start.hpp"

#include "qm/become.hpp"
#include "qm/home.hpp"
#include "qm/journal/service.hpp"
#include "qm/queue/enqueue.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace qm::send {

StartOptions parse_start_args(const std::vector<std::string>& args) {
    StartOptions o;
    if (!args.empty())
        o.default_delivery = args[0];
    if (args.size() > 1)
        o.logger.assign(args.begin() + 1, args.end());
    return o;
}

namespace {

std::vector<char*> c_argv(const std::vector<std::string>& v) {
    std::vector<char*> out;
    for (const auto& s : v)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// Takes the role user's uid and gid for good (the saved ids too).
bool become(const char* user) {
    return static_cast<bool>(become_user(user));
}

// Forks a spawn helper on one end of a socket pair (its fd 0 and 1), as `user` when given;
// the other end comes back, close-on-exec until keep_across_exec(): qmail-rspawn (qmailr)
// must never hold qmail-lspawn's socket, which asks root for deliveries.
Result<int> start_helper(const std::string& name, const std::vector<std::string>& extra,
                         const char* user) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
        return fail(from_errno(errno, "unable to create the " + name + " socket"));
    std::vector<std::string> hargs = {program_path(name)};
    hargs.insert(hargs.end(), extra.begin(), extra.end());
    auto hargv = c_argv(hargs);
    const pid_t pid = ::fork();
    if (pid < 0)
        return fail(from_errno(errno, "unable to fork " + name));
    if (pid == 0) {
        if (::dup2(sp[1], 0) < 0 || ::dup2(sp[1], 1) < 0)
            ::_exit(111);
        if (user && !become(user))
            ::_exit(111);
        ::execv(hargs[0].c_str(), hargv.data());
        ::_exit(111);
    }
    ::close(sp[1]);
    return sp[0]; // still close-on-exec: the next helper must not inherit it
}

// control/journal 1: qmail-journald first, as qmailq in root mode. It rebuilds the queue
// from the journal before it opens its socket, so qmail-send starts only once the socket
// answers. It gets SIGTERM when this process (qmail-send, after the exec) ends, and then
// flushes what it holds and exits.
Result<pid_t> start_journald() {
    auto durability = queue::durability_from_control();
    if (!durability)
        return fail(durability.error());
    if (*durability != queue::Durability::journal)
        return 0;
    const std::string sock = journal::socket_path(queue::Layout::from_home().root);
    ::unlink(sock.c_str()); // a killed journald's: not a sign of the new one
    const std::string path = program_path("qmail-journald");
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0)
        return fail(from_errno(errno, "unable to fork qmail-journald"));
    if (pid == 0) {
        if (::geteuid() == 0 && !become("qmailq"))
            ::_exit(111);
        // After the change of user, which would clear it.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent)
            ::_exit(0);
        const std::vector<std::string> args{path};
        auto argv = c_argv(args); // (pointers into args)
        ::execv(path.c_str(), argv.data());
        ::_exit(111);
    }
    for (;;) {
        if (journal::Client::connect(sock))
            return pid;
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid)
            return fail(temp("4.3.0", "qmail-journald exited before it was ready"));
        ::usleep(10000);
    }
}

Status keep_across_exec(int fd) {
    if (::fcntl(fd, F_SETFD, 0) != 0)
        return fail(from_errno(errno, "unable to pass a spawn socket to qmail-send"));
    return {};
}

} // namespace

Failure exec_send(const StartOptions& o) {
    const std::string send = program_path("qmail-send");
    if (!o.logger.empty()) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0)
            return from_errno(errno, "unable to create the log pipe");
        const pid_t pid = ::fork();
        if (pid < 0)
            return from_errno(errno, "unable to fork the logger");
        if (pid == 0) {
            // The logger reads the log on stdin and outlives nothing: it sees EOF when
            // qmail-send exits.
            if (::dup2(p[0], 0) < 0)
                ::_exit(111);
            // qmail runs the logger as qmaill; without that user it keeps our uid.
            if (::geteuid() == 0 && ::getpwnam("qmaill") && !become("qmaill"))
                ::_exit(111);
            auto argv = c_argv(o.logger);
            ::execvp(argv[0], argv.data());
            ::_exit(111);
        }
        if (::dup2(p[1], 2) < 0)
            return from_errno(errno, "unable to connect the log pipe");
        ::close(p[0]);
        ::close(p[1]);
    }
    auto journald = start_journald();
    if (!journald)
        return journald.error();
    std::vector<std::string> args = {send};
    if (*journald > 0) // qmail-send, after the exec, watches its child
        args.insert(args.end(), {"--journald-pid", std::to_string(*journald)});
    if (::geteuid() == 0) {
        // Root mode: only qmail-lspawn keeps root; qmail-rspawn and its qmail-remote runs
        // are qmailr; qmail-send runs as qmails.
        auto lspawn = start_helper("qmail-lspawn", {o.default_delivery}, nullptr);
        if (!lspawn)
            return lspawn.error();
        auto rspawn = start_helper("qmail-rspawn", {}, "qmailr");
        if (!rspawn)
            return rspawn.error();
        for (int fd : {*lspawn, *rspawn})
            if (auto k = keep_across_exec(fd); !k)
                return k.error();
        if (!become("qmails"))
            return temp("4.3.0", "unable to switch to user qmails (does it exist?)");
        args.insert(args.end(), {"--lspawn-fd", std::to_string(*lspawn), "--rspawn-fd",
                                 std::to_string(*rspawn)});
    }
    args.push_back(o.default_delivery);
    auto argv = c_argv(args);
    ::execv(send.c_str(), argv.data());
    return from_errno(errno, "unable to run " + send);
}

} // namespace qm::send

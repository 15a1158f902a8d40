#include "qm/send/start.hpp"

#include "qm/become.hpp"
#include "qm/home.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

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
    std::vector<std::string> args = {send};
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

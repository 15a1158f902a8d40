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
        // Root mode: only qmail-lspawn keeps root; qmail-send runs as qmails.
        int sp[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
            return from_errno(errno, "unable to create the qmail-lspawn socket");
        const std::string lspawn = program_path("qmail-lspawn");
        const pid_t pid = ::fork();
        if (pid < 0)
            return from_errno(errno, "unable to fork qmail-lspawn");
        if (pid == 0) {
            if (::dup2(sp[1], 0) < 0 || ::dup2(sp[1], 1) < 0)
                ::_exit(111);
            const std::vector<std::string> largs = {lspawn, o.default_delivery};
            auto largv = c_argv(largs);
            ::execv(lspawn.c_str(), largv.data());
            ::_exit(111);
        }
        ::close(sp[1]);
        if (::fcntl(sp[0], F_SETFD, 0) != 0)
            return from_errno(errno, "unable to pass the qmail-lspawn socket");
        if (!become("qmails"))
            return temp("4.3.0", "unable to switch to user qmails (does it exist?)");
        args.push_back("--lspawn-fd");
        args.push_back(std::to_string(sp[0]));
    }
    args.push_back(o.default_delivery);
    auto argv = c_argv(args);
    ::execv(send.c_str(), argv.data());
    return from_errno(errno, "unable to run " + send);
}

} // namespace qm::send

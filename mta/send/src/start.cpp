#include "qm/send/start.hpp"

#include "qm/home.hpp"

#include <fcntl.h>
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
            auto argv = c_argv(o.logger);
            ::execvp(argv[0], argv.data());
            ::_exit(111);
        }
        if (::dup2(p[1], 2) < 0)
            return from_errno(errno, "unable to connect the log pipe");
        ::close(p[0]);
        ::close(p[1]);
    }
    auto argv = c_argv({send, o.default_delivery});
    ::execv(send.c_str(), argv.data());
    return from_errno(errno, "unable to run " + send);
}

} // namespace qm::send

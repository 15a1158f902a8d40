#include "qm/tools/preline.hpp"

#include "qm/fd.hpp"
#include "qm/program.hpp"
#include "qm/tools/child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qm::tools {

Result<PrelineRequest> parse_preline_args(const std::vector<std::string>& args) {
    PrelineRequest req;
    program::Options options(program::Order::options_first);
    options.set('f', req.ufline, false)
        .set('r', req.rpline, false)
        .set('d', req.dtline, false)
        .set('F', req.ufline, true)
        .set('R', req.rpline, true)
        .set('D', req.dtline, true);
    auto command = options.parse(args);
    if (!command)
        return fail(command.error());
    req.command = std::move(*command);
    if (req.command.empty())
        return fail(perm("5.3.5", "no command given"));
    return req;
}

std::string preline_prefix(const PrelineRequest& req, const PrelineLines& lines) {
    std::string out;
    if (req.ufline)
        out += lines.ufline;
    if (req.rpline)
        out += lines.rpline;
    if (req.dtline)
        out += lines.dtline;
    return out;
}

namespace {

struct SigpipeIgnored {
    struct sigaction old {};
    SigpipeIgnored() {
        struct sigaction sa {};
        sa.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &sa, &old);
    }
    ~SigpipeIgnored() { ::sigaction(SIGPIPE, &old, nullptr); }
    SigpipeIgnored(const SigpipeIgnored&) = delete;
    SigpipeIgnored& operator=(const SigpipeIgnored&) = delete;
};

// Writes everything; returns 0 or the errno of the failed write.
int put(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return 0;
}

// Copies prefix + in_fd into the pipe. A reader that exits without reading everything
// (EPIPE) made its own choice, so its exit code decides, not ours; qmail's preline
// turned that into a temporary failure and the message was retried forever.
Status feed(int out_fd, std::string_view prefix, int in_fd) {
    auto written = [](int err) -> Status {
        if (err == 0 || err == EPIPE)
            return {};
        return fail(temp("4.3.0", std::string("unable to copy input: ") + std::strerror(err)));
    };
    if (int err = put(out_fd, prefix); err != 0)
        return written(err);
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(in_fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(
                temp("4.3.0", std::string("unable to read input: ") + std::strerror(errno)));
        }
        if (n == 0)
            return {};
        if (int err = put(out_fd, std::string_view(buf, static_cast<size_t>(n))); err != 0)
            return written(err);
    }
}

} // namespace

Result<int> run_preline(const PrelineRequest& req, std::string_view prefix, int in_fd) {
    SigpipeIgnored guard;
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return fail(temp("4.3.0", std::string("unable to create pipe: ") + std::strerror(errno)));
    UniqueFd rd(p[0]), wr(p[1]);
    auto pid = start_program(req.command, rd.get(), "preline");
    if (!pid)
        return exit_code(pid.error()); // said on stderr, as qmail's preline exits
    rd.reset();
    auto fed = feed(wr.get(), prefix, in_fd);
    wr.reset();
    auto code = wait_program(*pid);
    if (!fed)
        return fail(fed.error());
    return code;
}

} // namespace qm::tools

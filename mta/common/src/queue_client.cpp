#include "qm/queue_client.hpp"

#include "qm/fd.hpp"
#include "qm/home.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace qm {

namespace {

// Ignores SIGPIPE for the lifetime of the object so that a qmail-queue that exits early
// gives us EPIPE (and its exit status) instead of killing us.
struct SigpipeIgnored {
    struct sigaction old {};
    SigpipeIgnored() {
        struct sigaction sa {};
        sa.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &sa, &old);
    }
    ~SigpipeIgnored() { ::sigaction(SIGPIPE, &old, nullptr); }
};

Status copy_fd(int from, int to) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(from, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(from_errno(errno, "read message"));
        }
        if (n == 0)
            return {};
        if (auto w = write_all(to, std::string_view(buf, static_cast<size_t>(n))); !w)
            return w;
    }
}

Result<Queued> run_queue(std::string_view prefix, int message_fd, std::string_view message,
                         const Envelope& env) {
    SigpipeIgnored guard;
    int mpipe[2], epipe[2];
    if (::pipe2(mpipe, O_CLOEXEC) != 0)
        return fail(temp("4.3.0", "unable to make pipe for qq"));
    if (::pipe2(epipe, O_CLOEXEC) != 0) {
        ::close(mpipe[0]);
        ::close(mpipe[1]);
        return fail(temp("4.3.0", "unable to make pipe for qq"));
    }
    UniqueFd mread(mpipe[0]), mwrite(mpipe[1]), eread(epipe[0]), ewrite(epipe[1]);

    std::string prog = qmail_queue_program();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, mread.get(), 0);
    posix_spawn_file_actions_adddup2(&fa, eread.get(), 1);
    char* argv[] = {const_cast<char*>(prog.c_str()), nullptr};
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, prog.c_str(), &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return fail(queue_exit_failure(120));
    mread.reset();
    eread.reset();

    // qmail-queue reads the whole message before the envelope, so writing them in that
    // order cannot deadlock. A write error just means qq gave up; its status says why.
    bool write_ok = true;
    if (!prefix.empty() && !write_all(mwrite.get(), prefix))
        write_ok = false;
    if (write_ok) {
        if (message_fd >= 0)
            write_ok = copy_fd(message_fd, mwrite.get()).has_value();
        else
            write_ok = write_all(mwrite.get(), message).has_value();
    }
    mwrite.reset();
    if (write_ok)
        write_ok = write_all(ewrite.get(), encode_envelope(env)).has_value();
    ewrite.reset();

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return fail(temp("4.3.0", "qq waitpid surprise"));
    }
    if (!WIFEXITED(status))
        return fail(temp("4.3.0", "qq crashed"));
    int code = WEXITSTATUS(status);
    if (code != 0)
        return fail(queue_exit_failure(code));
    if (!write_ok)
        return fail(temp("4.3.0", "qq read error"));
    return Queued{pid};
}

} // namespace

Result<Queued> queue_message(std::string_view message, const Envelope& env) {
    return run_queue({}, -1, message, env);
}

Result<Queued> queue_message_fd(std::string_view prefix, int message_fd, const Envelope& env) {
    return run_queue(prefix, message_fd, {}, env);
}

} // namespace qm

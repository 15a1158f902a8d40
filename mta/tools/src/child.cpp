#include "qm/tools/child.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qm::tools {

bool is_temporary_errno(int err) {
    switch (err) {
    case EINTR:
    case ENOMEM:
    case ETXTBSY:
    case EIO:
    case EAGAIN:
    case ENFILE:
    case EMFILE:
    case EFBIG:
    case ENOSPC:
    case ENETDOWN:
    case ENETUNREACH:
    case ENETRESET:
    case ECONNABORTED:
    case ECONNRESET:
    case ENOBUFS:
    case ETIMEDOUT:
    case ECONNREFUSED:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case EROFS:
    case EDQUOT:
    case ESTALE:
    case EREMOTE:
    case EDEADLK:
        return true;
    default:
        return false;
    }
}

namespace {

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void exec_child(char* const* argv, int stdin_fd, std::string_view who) {
    if (stdin_fd >= 0 && stdin_fd != 0) {
        if (::dup2(stdin_fd, 0) < 0)
            ::_exit(111);
        ::close(stdin_fd);
    }
    // Our own SIGPIPE handling (ignored while we write to pipes) must not leak into the
    // program, which expects the default.
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(argv[0], argv);
    int err = errno;
    if (!who.empty()) {
        const char* text = std::strerror(err);
        auto put = [](std::string_view s) { (void)!::write(2, s.data(), s.size()); };
        put(who);
        put(": fatal: unable to run ");
        put(argv[0]);
        put(": ");
        put(text);
        put("\n");
    }
    ::_exit(is_temporary_errno(err) ? 111 : 100);
}

} // namespace

Result<pid_t> start_program(const std::vector<std::string>& argv, int stdin_fd,
                            std::string_view who) {
    if (argv.empty())
        return fail(perm("5.3.5", "no program to run"));
    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv)
        cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0)
        return fail(temp("4.3.0", std::string("unable to fork: ") + std::strerror(errno)));
    if (pid == 0)
        exec_child(cargv.data(), stdin_fd, who);
    return pid;
}

Result<int> wait_program(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return fail(temp("4.3.0", "wait failed"));
    }
    if (!WIFEXITED(status))
        return fail(temp("4.3.0", "child crashed"));
    return WEXITSTATUS(status);
}

Result<bool> run_condition(const std::vector<std::string>& argv) {
    auto pid = start_program(argv, -1, {});
    if (!pid)
        return fail(pid.error());
    auto code = wait_program(*pid);
    if (!code)
        return fail(code.error());
    if (*code == 111)
        return fail(temp("4.3.0", "temporary child error"));
    return *code == 0;
}

} // namespace qm::tools

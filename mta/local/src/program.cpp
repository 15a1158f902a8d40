// Program delivery (qmail-command(8)): /bin/sh -c with the message on stdin.
#include "internal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qm::local::detail {

namespace {

// More than qmail-lspawn keeps of a report (3000 bytes); the rest is read and dropped
// so that a chatty program never blocks on a full pipe.
constexpr size_t output_cap = 4096;

struct SpawnActions {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    SpawnActions() {
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
    }
    ~SpawnActions() {
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
    }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
};

} // namespace

Result<ProgramRun> run_program(const std::string& home, const std::string& command,
                               const std::vector<std::string>& env, int stdin_fd) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return fail(temp("4.3.0", std::string("Unable to fork: ") + error_text(errno) + "."));
    UniqueFd out_read(p[0]), out_write(p[1]);

    // posix_spawn rather than fork(): it runs only async-signal-safe steps between
    // clone and execve (dup2, chdir, closefrom, signal resets), so it is safe from any
    // thread of a multithreaded qmail-send, and it does not copy a large address space.
    // The cwd is set in the child, never in this process.
    SpawnActions sa;
    posix_spawn_file_actions_adddup2(&sa.fa, stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&sa.fa, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&sa.fa, out_write.get(), 2);
    posix_spawn_file_actions_addchdir_np(&sa.fa, home.c_str());
    posix_spawn_file_actions_addclosefrom_np(&sa.fa, 3);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&sa.attr, &all); // SIGPIPE included (qmail's sig_pipedefault)
    posix_spawnattr_setsigmask(&sa.attr, &none);
    posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (const auto& e : env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    char sh[] = "/bin/sh", dash_c[] = "-c";
    char* argv[] = {sh, dash_c, const_cast<char*>(command.c_str()), nullptr};

    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, sh, &sa.fa, &sa.attr, argv, envp.data());
    if (rc != 0)
        return fail(temp("4.3.0", std::string("Unable to run /bin/sh: ") + error_text(rc) + "."));
    out_write.reset();

    ProgramRun run;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(out_read.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (n == 0)
            break;
        size_t room = output_cap - std::min(output_cap, run.output.size());
        run.output.append(buf, std::min(room, static_cast<size_t>(n)));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return fail(temp("4.3.0", "Aack, child crashed."));
    }
    run.outcome = classify_child_exit(status);
    return run;
}

} // namespace qm::local::detail

// inject_driver: the load generator shared by every MTA in the benchmark, so that each one is
// fed exactly the same way.  It runs COMMAND... N times with the message file on stdin, spread
// over J worker processes that each wait for one injection before starting the next (like J
// users running sendmail in a loop).  A C++ program rather than a script keeps the generator's
// own CPU use (it shares the 2 cores with the MTA) down to one posix_spawn + waitpid per message.
//
//   inject_driver -n N -j J -m MESSAGE_FILE -- COMMAND [ARG...]
//
// Exit 0 when every injection exited 0, 1 otherwise; prints "injected N failed F seconds S".
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

int usage() {
    std::fputs("usage: inject_driver -n N -j WORKERS -m MESSAGE_FILE -- COMMAND [ARG...]\n",
               stderr);
    return 2;
}

// One injection: fresh fd 0 on the message so every child reads it from the start.
bool inject_once(const char* message, char** argv) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, message, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        std::fprintf(stderr, "inject_driver: cannot run %s: %s\n", argv[0], std::strerror(rc));
        return false;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    std::fprintf(stderr, "inject_driver: %s exited with status 0x%x\n", argv[0], status);
    return false;
}

} // namespace

int main(int argc, char** argv) {
    long n = 1, jobs = 1;
    const char* message = nullptr;
    int i = 1;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a == "--help" || a == "-h") {
            usage();
            return 0;
        }
        if (i + 1 >= argc)
            return usage();
        if (a == "-n")
            n = std::atol(argv[++i]);
        else if (a == "-j")
            jobs = std::atol(argv[++i]);
        else if (a == "-m")
            message = argv[++i];
        else
            return usage();
    }
    if (i >= argc || message == nullptr || n < 1 || jobs < 1)
        return usage();
    if (jobs > n)
        jobs = n;
    char** command = argv + i;

    const auto t0 = std::chrono::steady_clock::now();
    std::vector<pid_t> workers;
    for (long w = 0; w < jobs; ++w) {
        pid_t pid = fork();
        if (pid < 0) {
            std::perror("inject_driver: fork");
            return 1;
        }
        if (pid == 0) {
            long failed = 0;
            for (long k = w; k < n; k += jobs)
                if (!inject_once(message, command))
                    ++failed;
            // The failure count travels in the exit status (capped: only "any" matters).
            _exit(failed > 250 ? 250 : static_cast<int>(failed));
        }
        workers.push_back(pid);
    }
    long failed = 0;
    for (pid_t pid : workers) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR)
                break;
        failed += WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    std::printf("injected %ld failed %ld seconds %.3f\n", n, failed, dt.count());
    return failed == 0 ? 0 : 1;
}

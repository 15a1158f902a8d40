#include "qm/process.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

extern char** environ;

namespace qm {

namespace {

// posix_spawn's attributes and file actions, destroyed on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

} // namespace

std::vector<char*> exec_vector(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

std::expected<pid_t, int> spawn(const Spawn& s) {
    if (s.argv.empty())
        return std::unexpected(EINVAL);
    SpawnSetup setup;
    int highest = 2;
    for (const auto& [ours, its] : s.fds) {
        // Onto itself too: glibc then clears close-on-exec, as POSIX will require.
        posix_spawn_file_actions_adddup2(&setup.actions, ours, its);
        highest = std::max(highest, its);
    }
    if (!s.cwd.empty())
        posix_spawn_file_actions_addchdir_np(&setup.actions, s.cwd.c_str());
    if (s.close_others)
        posix_spawn_file_actions_addclosefrom_np(&setup.actions, highest + 1);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&setup.attr, &all);
    posix_spawnattr_setsigmask(&setup.attr, &none);
    int flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (s.own_process_group) {
        posix_spawnattr_setpgroup(&setup.attr, 0);
        flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&setup.attr, static_cast<short>(flags));

    auto argv = exec_vector(s.argv);
    std::vector<char*> envp;
    if (s.env)
        envp = exec_vector(*s.env);
    char* const* env = s.env ? envp.data() : environ;
    pid_t pid = 0;
    const int rc =
        s.search_path ? ::posix_spawnp(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), env)
                      : ::posix_spawn(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), env);
    if (rc != 0)
        return std::unexpected(rc);
    return pid;
}

Failure unable_to_run(std::string_view program, int err) {
    std::string text = "unable to run " + std::string(program) + ": " + error_text(err);
    return is_temporary_errno(err) ? temp("4.3.0", std::move(text))
                                   : perm("5.3.0", std::move(text));
}

Result<int> wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail(temp("4.3.0", "unable to wait for process " + std::to_string(pid) + ": " +
                                          error_text(errno)));
    return status;
}

std::optional<std::string> checkpassword_request(std::string_view user, std::string_view password,
                                                 std::string_view timestamp) {
    for (std::string_view field : {user, password, timestamp})
        if (field.find('\0') != std::string_view::npos)
            return std::nullopt;
    std::string request;
    request.reserve(user.size() + password.size() + timestamp.size() + 3);
    for (std::string_view field : {user, password, timestamp}) {
        request += field;
        request += '\0';
    }
    return request;
}

std::optional<int> exit_code_of(int wait_status) {
    if (!WIFEXITED(wait_status))
        return std::nullopt;
    return WEXITSTATUS(wait_status);
}

ChildOutcome classify_child_exit(int wait_status) {
    if (!WIFEXITED(wait_status))
        return ChildOutcome::crashed;
    switch (WEXITSTATUS(wait_status)) {
    case 0:
        return ChildOutcome::success;
    case 99:
        return ChildOutcome::success_stop;
    case 100:
    case 64:
    case 65:
    case 70:
    case 76:
    case 77:
    case 78:
    case 112:
        return ChildOutcome::permanent;
    default:
        return ChildOutcome::temporary;
    }
}

} // namespace qm

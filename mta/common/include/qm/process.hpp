// Running another program and reading how it ended, for every place that does
// (qmail-queue, a delivery's /bin/sh -c, checkpassword, the programs preline, bouncesaying
// and condredirect wrap, fastforward's |program, useradd). Programs start with
// posix_spawn, which runs only async-signal-safe steps between clone and execve: safe
// from any thread of a multithreaded daemon, and no copy of a large address space. A
// program starts with every signal at its default and none blocked (qmail's
// sig_pipedefault: what this process ignores or blocks, such as a daemon's SIGPIPE, is
// not the program's business), and with the descriptors it is given; every descriptor
// this project opens is close-on-exec, so nothing else of ours leaks into it.
// Exit codes read as in qmail-command(8).
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm {

struct Spawn {
    // argv[0] is the program: a path, or with search_path a name looked up in $PATH.
    std::vector<std::string> argv;
    bool search_path = false;
    // Its environment, "NAME=value" each; nullopt: this process's.
    std::optional<std::vector<std::string>> env;
    // Descriptors it gets: {ours, its number}, in this order.
    std::vector<std::pair<int, int>> fds;
    std::string cwd; // empty: this process's
    // Closes every descriptor above 2 and above those of fds, close-on-exec or not.
    bool close_others = false;
    // Starts a process group of its own (its pid), which a signal to the group then
    // reaches whole: a session and the programs it runs.
    bool own_process_group = false;
};

// Starts the program; the errno when it could not (no such program, not executable, no
// memory, ...), for the caller's own words.
[[nodiscard]] std::expected<pid_t, int> spawn(const Spawn& s);
// "unable to run PROGRAM: error", temporary when is_temporary_errno(err) (a wrapper then
// exits 111, as qmail's tools do), else permanent (exit 100).
[[nodiscard]] Failure unable_to_run(std::string_view program, int err);

// argv or envp for posix_spawn or execve: pointers into strings (which must outlive it),
// then a null pointer. For a forked child, made before the fork.
[[nodiscard]] std::vector<char*> exec_vector(const std::vector<std::string>& strings);

// Waits for the child, again after EINTR: its wait status. A failed wait is temporary.
[[nodiscard]] Result<int> wait_for(pid_t pid);

// The exit code in a wait status; nullopt when the program did not exit (a signal).
[[nodiscard]] std::optional<int> exit_code_of(int wait_status);

// The checkpassword interface's request on descriptor 3: "user\0password\0timestamp\0".
// nullopt when a field holds a NUL: it would pass for a separator, and the client would
// choose the fields checkpassword reads (say, the timestamp an APOP digest is checked
// against, so that a digest sniffed once could be replayed).
[[nodiscard]] std::optional<std::string>
checkpassword_request(std::string_view user, std::string_view password, std::string_view timestamp);

// A delivery program's exit status (qmail-command(8)): 0 success, 99 success and stop
// processing the .qmail file, 100 and the sysexits codes 64 65 70 76 77 78 112
// permanent, everything else (111 included) temporary; a crash is temporary.
enum class ChildOutcome { success, success_stop, permanent, temporary, crashed };
[[nodiscard]] ChildOutcome classify_child_exit(int wait_status);

} // namespace qm

#include "qm/tools/child.hpp"

#include "qm/process.hpp"

#include <cstdio>

namespace qm::tools {

Result<pid_t> start_program(const std::vector<std::string>& argv, int stdin_fd,
                            std::string_view who) {
    if (argv.empty())
        return fail(perm("5.3.5", "no program to run"));
    Spawn program;
    program.argv = argv;
    program.search_path = true;
    if (stdin_fd >= 0)
        program.fds = {{stdin_fd, 0}};
    auto pid = spawn(program);
    if (!pid) {
        Failure f = unable_to_run(argv[0], pid.error());
        if (!who.empty())
            std::fprintf(stderr, "%.*s: fatal: %s\n", static_cast<int>(who.size()), who.data(),
                         f.text.c_str());
        return fail(std::move(f));
    }
    return *pid;
}

Result<int> wait_program(pid_t pid) {
    auto status = wait_for(pid);
    if (!status)
        return fail(temp("4.3.0", "wait failed"));
    auto code = exit_code_of(*status);
    if (!code)
        return fail(temp("4.3.0", "child crashed"));
    return *code;
}

Result<bool> run_condition(const std::vector<std::string>& argv) {
    auto pid = start_program(argv, -1, {});
    // A program that cannot be run says so as qmail's tools exit: 100 (no match), 111.
    auto code = pid ? wait_program(*pid) : Result<int>(exit_code(pid.error()));
    if (!code)
        return fail(code.error());
    if (*code == 111)
        return fail(temp("4.3.0", "temporary child error"));
    return *code == 0;
}

} // namespace qm::tools

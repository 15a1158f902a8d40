// Program delivery (qmail-command(8)): /bin/sh -c with the message on stdin.
#include "internal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qm::local::detail {

namespace {

// More than qmail-lspawn keeps of a report (3000 bytes); the rest is read and dropped
// so that a chatty program never blocks on a full pipe.
constexpr size_t output_cap = 4096;

} // namespace

Result<ProgramRun> run_program(const std::string& home, const std::string& command,
                               const std::vector<std::string>& env, int stdin_fd) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return fail(temp("4.3.0", std::string("Unable to fork: ") + error_text(errno) + "."));
    UniqueFd out_read(p[0]), out_write(p[1]);

    // The cwd is set in the child, never in this process (qm/process.hpp: safe from any
    // thread of a multithreaded qmail-send).
    Spawn program;
    program.argv = {"/bin/sh", "-c", command};
    program.env = env;
    program.fds = {{stdin_fd, 0}, {out_write.get(), 1}, {out_write.get(), 2}};
    program.cwd = home;
    program.close_others = true;
    auto pid = spawn(program);
    if (!pid)
        return fail(
            temp("4.3.0", std::string("Unable to run /bin/sh: ") + error_text(pid.error()) + "."));
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
    auto status = wait_for(*pid);
    if (!status)
        return fail(temp("4.3.0", "Aack, child crashed."));
    run.outcome = classify_child_exit(*status);
    return run;
}

} // namespace qm::local::detail

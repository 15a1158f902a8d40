// Root mode's delivery process, as qmail-lspawn(8) runs qmail-local(8): a child that
// becomes the recipient and execs qmail-local with the message on fd 0 and its own report
// pipe on fd 1 and 2. The exec is the point: a user's .qmail program runs as the same
// uid as this process and can reach its descriptors and memory (/proc, ptrace,
// pidfd_getfd), so the process must hold nothing but its own delivery, never the
// caller's socket to qmail-send, its log, or the message of a delivery running beside it.
#include "qm/env.hpp"
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/local/deliver.hpp"
#include "qm/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace qm::local {

namespace {

// Far more than qmail-local writes (it keeps 3000 bytes of report); the rest is drained.
constexpr size_t report_cap = 65536;

Verdict temporary(std::string text) {
    return Verdict{Verdict::Kind::temporary, std::move(text)};
}

// Everything the child uses, made before it starts. The child shares the caller's memory
// until its exec (see spawn_child), and the caller has other threads: it may make only
// async-signal-safe calls, no allocation, no locks, and write nothing that the caller reads.
struct ChildPlan {
    const char* path;
    char* const* argv;
    char* const* envp;
    int message_fd;
    int report_fd;
    uid_t uid;
    gid_t gid;
    int max_fd;
    struct sigaction default_action;
    sigset_t no_signals;
};

// The child's own stack: it cannot run on the caller's, whose frames are in use.
constexpr size_t child_stack_size = 64 * 1024;

void say(int fd, const char* text) {
    (void)!::write(fd, text, std::strlen(text));
}

[[noreturn]] void become_recipient_and_exec(const ChildPlan& c) {
    // Above 2 first, so that placing one cannot overwrite the other.
    const int message = ::fcntl(c.message_fd, F_DUPFD, 3);
    const int report = ::fcntl(c.report_fd, F_DUPFD, 3);
    if (message < 0 || report < 0) {
        say(c.report_fd, "Unable to set up qmail-local's descriptors. (#4.3.0)\n");
        ::_exit(111);
    }
    if (::dup2(message, 0) != 0 || ::dup2(report, 1) != 1 || ::dup2(report, 2) != 2) {
        say(report, "Unable to set up qmail-local's descriptors. (#4.3.0)\n");
        ::_exit(111);
    }
    // Every other descriptor goes, whatever its close-on-exec flag: the fork copied the
    // caller's whole table, including what other threads opened a moment ago.
    if (::close_range(3, ~0U, 0) != 0)
        for (int fd = 3; fd < c.max_fd; ++fd)
            ::close(fd);
    // An ignored signal stays ignored across exec (qmail-lspawn ignores SIGTERM and
    // SIGPIPE), and a handler must not run here, on memory the caller shares: every
    // signal was blocked before the clone; back to the defaults, then nothing blocked.
    for (int sig = 1; sig < NSIG; ++sig)
        ::sigaction(sig, &c.default_action, nullptr);
    ::sigprocmask(SIG_SETMASK, &c.no_signals, nullptr);
    // Raw system calls: glibc's setuid() and friends signal every thread of the process
    // to change it too, bookkeeping that would reach the caller's threads here. They
    // change this process alone (credentials are per task, not per address space); the
    // uid change also makes the shared memory undumpable, so the recipient cannot ptrace
    // this child, or qmail-lspawn, before the exec gives it memory of its own.
    const gid_t gid = c.gid;
    if (::syscall(SYS_setgroups, 1, &gid) != 0 || ::syscall(SYS_setresgid, gid, gid, gid) != 0 ||
        ::syscall(SYS_setresuid, c.uid, c.uid, c.uid) != 0) {
        say(1, "Unable to switch to the recipient's user. (#4.3.0)\n");
        ::_exit(111);
    }
    if (::getuid() == 0 || ::geteuid() == 0) {
        say(1, "Not allowed to perform deliveries as root.\n");
        ::_exit(111);
    }
    ::execve(c.path, c.argv, c.envp);
    say(1, "Unable to run qmail-local. (#4.3.0)\n");
    ::_exit(111);
}

int run_child(void* plan) {
    become_recipient_and_exec(*static_cast<const ChildPlan*>(plan));
}

// Starts the child as vfork() does (clone with CLONE_VM | CLONE_VFORK): it borrows the
// caller's memory until its exec, and this thread waits until then. A fork() copied
// qmail-lspawn's page tables for each delivery, and its copy-on-write faults and TLB
// shoot-downs across the other delivery threads cost more CPU than qmail-local itself
// (bench/RESULTS.md, root mode). Returns the pid, or -1.
pid_t spawn_child(ChildPlan& plan) {
    void* stack = ::mmap(nullptr, child_stack_size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return -1;
    // No handler of the caller's may run in the child before it resets them.
    sigset_t all;
    sigset_t before;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &before);
    const pid_t pid = ::clone(run_child, static_cast<char*>(stack) + child_stack_size,
                              CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
    ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
    ::munmap(stack, child_stack_size);
    return pid;
}

// The report, at most report_cap bytes of it; the rest is read and dropped so that a
// chatty qmail-local never blocks on a full pipe.
std::string read_report(int fd) {
    std::string text;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return text;
        const size_t room = report_cap - std::min(report_cap, text.size());
        text.append(buf, std::min(room, static_cast<size_t>(n)));
    }
}

} // namespace

LocalProgram local_program() {
    LocalProgram p;
    char buf[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf);
    if (n > 0 && static_cast<size_t>(n) < sizeof buf) {
        std::string exe(buf, static_cast<size_t>(n));
        const size_t slash = exe.rfind('/');
        if (exe.front() == '/' && slash != std::string::npos)
            p.path = exe.substr(0, slash + 1) + "qmail-local";
    }
    p.env.push_back("QMAILHOME=" + qmail_home());
    auto path = env("PATH");
    p.env.push_back("PATH=" + (path && !path->empty() ? *path : "/usr/local/bin:/usr/bin:/bin"));
    for (const char* k : {"TZ", "QMAILQUEUE", "QM_LISTS_NOW"})
        if (auto v = env(k))
            p.env.push_back(std::string(k) + "=" + *v);
    return p;
}

Verdict deliver_in_child(const Delivery& d, const LocalProgram& prog) {
    if (d.who.uid == 0)
        return temporary("Not allowed to perform deliveries as root.\n");
    if (prog.path.empty())
        return temporary("Unable to find qmail-local. (#4.3.0)\n");
    // deliver()'s own check, made here: qmail-local would take a relative home for a
    // usage error (exit 100) and bounce what is a local configuration problem.
    if (d.who.home.empty() || d.who.home.front() != '/')
        return temporary("Home directory is not an absolute path: " + d.who.home + ". (#4.3.0)\n");
    // qmail-lspawn's call: qmail-local -- user homedir local dash ext domain sender
    // defaultdelivery ("--": a field may start with a dash).
    const std::vector<std::string> args = {
        "qmail-local", "--",      d.who.user, d.who.home, d.local,
        d.who.dash,    d.who.ext, d.domain,   d.sender,   d.default_delivery};
    const auto argv = exec_vector(args);
    // The journal id reaches qmail-local in its environment: its command line is qmail's.
    std::vector<std::string> env = prog.env;
    if (d.journal_id != 0)
        env.push_back("QMAILJOURNALID=" + std::to_string(d.journal_id));
    const auto envp = exec_vector(env);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return temporary("Temporary failure in qmail-lspawn.\n");
    UniqueFd rd(p[0]), wr(p[1]);
    ChildPlan plan{};
    plan.path = prog.path.c_str();
    plan.argv = argv.data();
    plan.envp = envp.data();
    plan.message_fd = d.message_fd;
    plan.report_fd = wr.get();
    plan.uid = d.who.uid;
    plan.gid = d.who.gid;
    rlimit lim{};
    plan.max_fd = ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < 65536
                      ? static_cast<int>(lim.rlim_cur)
                      : 65536;
    plan.default_action.sa_handler = SIG_DFL;
    sigemptyset(&plan.default_action.sa_mask);
    sigemptyset(&plan.no_signals);

    const pid_t pid = spawn_child(plan);
    if (pid < 0)
        return temporary("Temporary failure in qmail-lspawn.\n");
    wr.reset();
    std::string text = read_report(rd.get());
    rd.reset();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return temporary("qmail-local crashed.\n");
    }
    // The text goes into qmail-lspawn's NUL-separated replies and into bounces.
    std::erase(text, '\0');
    if (!WIFEXITED(status) || text.empty())
        return temporary("qmail-local crashed.\n");
    switch (WEXITSTATUS(status)) {
    case 0:
        return Verdict{Verdict::Kind::success, std::move(text)};
    case 100:
        return Verdict{Verdict::Kind::permanent, std::move(text)};
    case 111:
        return Verdict{Verdict::Kind::temporary, std::move(text)};
    default:
        return temporary("qmail-local crashed.\n");
    }
}

} // namespace qm::local

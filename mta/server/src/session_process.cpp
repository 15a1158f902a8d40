#include "qm/server/session_process.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"
#include "qm/process.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace qm::server {

namespace asio = boost::asio;

namespace {

bool set_by_tcpserver(std::string_view entry) {
    static constexpr std::string_view names[] = {
        "PROTO=",         "TCPLOCALIP=",    "TCPLOCALPORT=",  "TCPLOCALHOST=", "TCPREMOTEIP=",
        "TCPREMOTEPORT=", "TCPREMOTEHOST=", "TCPREMOTEINFO=", "TCPLOCALINFO="};
    for (const auto name : names)
        if (entry.starts_with(name))
            return true;
    return false;
}

} // namespace

std::vector<std::string> session_environment(const Client& client) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        bool replaced = set_by_tcpserver(entry);
        for (const auto& [name, value] : client.connection.env)
            replaced = replaced || (entry.starts_with(name) && entry.size() > name.size() &&
                                    entry[name.size()] == '=');
        if (!replaced)
            env.emplace_back(entry);
    }
    boost::system::error_code ec;
    const auto local = client.socket.local_endpoint(ec);
    const auto remote = client.socket.remote_endpoint(ec);
    const Connection& conn = client.connection;
    env.emplace_back("PROTO=TCP");
    env.push_back("TCPLOCALIP=" + conn.local_ip);
    env.push_back("TCPLOCALPORT=" + std::to_string(local.port()));
    env.push_back("TCPLOCALHOST=" + conn.local_host);
    env.push_back("TCPREMOTEIP=" + conn.remote_ip);
    env.push_back("TCPREMOTEPORT=" + std::to_string(remote.port()));
    for (const auto& [name, value] : conn.env)
        env.push_back(name + "=" + value);
    return env;
}

asio::awaitable<bool> run_session_process(DaemonCore& core, Client client,
                                          std::vector<std::string> argv) {
    Spawn s;
    s.argv = argv;
    s.env = session_environment(client);
    const int sock = client.socket.native_handle();
    s.fds = {{sock, 0}, {sock, 1}, {STDERR_FILENO, 2}};
    s.close_others = true;
    // Its own group: a Ctrl-C meant for the daemon does not cut the sessions (the first
    // signal lets them end), and the second signal reaches qmail-pop3d too.
    s.own_process_group = true;
    const auto pid = spawn(s);
    if (!pid) {
        log::warning("unable to run " + argv.front() + " for " + client.who + ": " +
                     std::strerror(pid.error()));
        co_return false;
    }
    // A pidfd turns readable when the process ends: no SIGCHLD handler to share.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0));
    auto listed = core.session_processes.insert(core.session_processes.end(), *pid);
    if (pidfd >= 0) {
        asio::posix::stream_descriptor ended(core.io, pidfd);
        (void)co_await ended.async_wait(asio::posix::stream_descriptor::wait_read, use_tuple);
    } else {
        // No pidfd (a kernel before 5.3): a blocking wait on the pool instead.
        log::warning("pidfd_open: " + std::string(std::strerror(errno)));
    }
    // The process has ended (or, without a pidfd, is waited for off the loop).
    Result<int> status = fail(temp("4.3.0", "not waited for"));
    if (pidfd >= 0)
        status = wait_for(*pid);
    else
        co_await core.off_loop([&status, p = *pid] { status = wait_for(p); });
    core.session_processes.erase(listed);
    if (status && !exit_code_of(*status))
        log::warning("session of " + client.who + " (pid " + std::to_string(*pid) + ") crashed");
    co_return true;
}

} // namespace qm::server

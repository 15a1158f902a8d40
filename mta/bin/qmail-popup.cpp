// qmail-popup HOSTNAME SUBPROGRAM...: POP3's authorization state on descriptors 0 and 1;
// a login goes to SUBPROGRAM (a checkpassword-interface program, which runs qmail-pop3d
// as the user) on descriptor 3.
#include "qm/fd.hpp"
#include "qm/pop3/authorization.hpp"
#include "qm/process.hpp"
#include "qm/program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: qmail-popup HOSTNAME SUBPROGRAM [ARG ...]\n"
    "POP3 (RFC 1939) in the authorization state on descriptors 0 and 1, as under tcpserver:\n"
    "greets with the APOP timestamp <pid.time@HOSTNAME>, takes USER and PASS or APOP, then\n"
    "runs SUBPROGRAM (a checkpassword-interface program: user NUL password NUL timestamp\n"
    "NUL on descriptor 3), which runs qmail-pop3d as the user on the same connection. A\n"
    "refused login is \"-ERR authorization failed\" and the end of the connection, as in\n"
    "qmail. 20 minutes without a command end the session (exit 1).\n";

constexpr int timeout_ms = 1200 * 1000;
constexpr size_t max_line = 1024;

bool say(std::string_view s) {
    return static_cast<bool>(qm::write_all(STDOUT_FILENO, s));
}

// One line, a byte at a time: whatever the client sends after the line that completes
// the login stays unread, for qmail-pop3d. false at the end of input or the timeout.
bool read_line(std::string& line) {
    line.clear();
    for (;;) {
        pollfd p{STDIN_FILENO, POLLIN, 0};
        const int ready = ::poll(&p, 1, timeout_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return false;
        char c = 0;
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        if (c == '\n')
            return true;
        if (line.size() < max_line)
            line += c;
    }
}

// Runs the checkpassword program with the login on descriptor 3 and waits for it; it
// talks to the client itself when the login is right.
int check(const std::vector<std::string>& program, const qm::pop3::Login& login,
          const std::string& timestamp) {
    int pi[2];
    if (::pipe2(pi, O_CLOEXEC) != 0) {
        (void)say("-ERR unable to open pipe\r\n");
        return 1;
    }
    qm::UniqueFd read_end(pi[0]);
    qm::UniqueFd write_end(pi[1]);
    qm::Spawn s;
    s.argv = program;
    s.search_path = true;
    s.fds = {{STDIN_FILENO, 0}, {STDOUT_FILENO, 1}, {STDERR_FILENO, 2}, {read_end.get(), 3}};
    const auto pid = qm::spawn(s);
    if (!pid) {
        (void)say("-ERR unable to fork\r\n");
        return 1;
    }
    read_end.reset();
    std::string input = login.checkpassword_input(timestamp);
    const bool written = static_cast<bool>(qm::write_all(write_end.get(), input));
    // The password leaves this process's memory as soon as it is handed over.
    ::explicit_bzero(input.data(), input.size());
    write_end.reset();
    if (!written)
        (void)say("-ERR unable to write pipe\r\n");
    const auto status = qm::wait_for(*pid);
    if (!status)
        return 1;
    const auto code = qm::exit_code_of(*status);
    if (!code)
        (void)say("-ERR aack, child crashed\r\n");
    else if (*code != 0)
        (void)say("-ERR authorization failed\r\n");
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-popup", help}, argc, argv, [](qm::program::Words args) {
        if (args.size() < 2) {
            (void)say("-ERR usage: popup hostname subprogram\r\n");
            return 1;
        }
        ::signal(SIGPIPE, SIG_IGN);
        const std::vector<std::string> program(args.begin() + 1, args.end());
        qm::pop3::Authorization auth("<" + std::to_string(::getpid()) + "." +
                                     std::to_string(std::time(nullptr)) + "@" + args[0] + ">");
        if (!say(auth.greeting()))
            return 1;
        std::string line;
        while (read_line(line)) {
            auto step = auth.handle(line);
            if (step.login) {
                const int code = check(program, *step.login, auth.timestamp());
                ::explicit_bzero(step.login->password.data(), step.login->password.size());
                return code;
            }
            if (!say(step.reply) || step.quit)
                return 1;
        }
        return 1;
    });
}

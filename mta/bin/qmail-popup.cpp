// qmail-popup HOSTNAME SUBPROGRAM...: POP3's authorization state on descriptors 0 and 1;
// a login goes to SUBPROGRAM (a checkpassword-interface program, which runs qmail-pop3d
// as the user) on descriptor 3. With control/servercert.pem it offers STLS; under TLS it
// stays between the client and qmail-pop3d, which then talks to it over a socket pair.
#include "qm/control.hpp"
#include "qm/fd.hpp"
#include "qm/pop3/authorization.hpp"
#include "qm/process.hpp"
#include "qm/program.hpp"
#include "qm/server/serve.hpp"
#include "qm/server/session_process.hpp"
#include "qm/smtp/descriptor_wire.hpp"
#include "qm/smtp/tls.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: qmail-popup HOSTNAME SUBPROGRAM [ARG ...]\n"
    "POP3 (RFC 1939) in the authorization state on descriptors 0 and 1, as under tcpserver:\n"
    "greets with the APOP timestamp <pid.time@HOSTNAME>, takes USER and PASS or APOP, then\n"
    "runs SUBPROGRAM (a checkpassword-interface program: user NUL password NUL timestamp\n"
    "NUL on descriptor 3), which runs qmail-pop3d as the user on the same connection. A\n"
    "refused login is \"-ERR authorization failed\" and the end of the connection, as in\n"
    "qmail. CAPA, and STLS when $QMAILHOME/control/servercert.pem holds a certificate and\n"
    "its key. 20 minutes without a command end the session (exit 1).\n"
    "As a daemon (tcpserver's work, and systemd's socket activation):\n"
    "  qmail-popup --listen ADDRESS:PORT ... [--rules RULES.cdb] [--max-connections N]\n"
    "              [--max-per-ip N] [--] HOSTNAME SUBPROGRAM [ARG ...]\n"
    "listens (--listen :110, 127.0.0.1:110, [::1]:110, systemd or systemd:NAME) and runs\n"
    "qmail-popup HOSTNAME SUBPROGRAM ... per connection, with the connection on 0 and 1 and\n"
    "tcpserver's TCPREMOTEIP, TCPLOCALIP, ... and the client's --rules settings in its\n"
    "environment. The daemon keeps root, as tcpserver running qmail-popup does: each\n"
    "session is a process of its own, whose checkpassword becomes the user who logged in.\n"
    "More than --max-connections (default 100) or --max-per-ip (default half of it) are\n"
    "told \"-ERR too many connections\". SIGTERM stops accepting and waits for the\n"
    "sessions; a second one ends them. Put -- before HOSTNAME when an ARG starts with -.\n";

constexpr std::chrono::seconds timeout{1200};
constexpr size_t max_line = 1024;

// The client: plain descriptors, or TLS records over them after STLS.
class Client {
public:
    using clock = qm::smtp::DescriptorWire::clock;
    using Got = qm::smtp::DescriptorWire::Got;

    bool say(std::string_view s) {
        std::string text(s);
        return wire_.write(text, clock::now() + timeout);
    }

    // One line, within the timeout. In the clear a byte at a time, so that whatever
    // follows the line that completes a login stays unread, for qmail-pop3d; under TLS
    // this process reads everything anyway and keeps the rest in plain_. false at the end
    // or the timeout.
    bool read_line(std::string& line) {
        line.clear();
        const auto deadline = clock::now() + timeout;
        for (;;) {
            if (const size_t nl = plain_.find('\n'); nl != std::string::npos) {
                line = plain_.substr(0, std::min(nl, max_line));
                plain_.erase(0, nl + 1);
                return true;
            }
            if (plain_.size() > max_line)
                plain_.erase(max_line); // the rest of an overlong line is dropped
            if (wire_.read(deadline, plain_, 1) != Got::data)
                return false;
        }
    }

    // STLS answered: the handshake, within the timeout.
    bool start_tls(boost::asio::ssl::context& context) {
        plain_.clear(); // nothing sent in the clear before the handshake counts
        wire_.start_tls(context);
        return wire_.read(clock::now() + timeout, plain_) == Got::tls_ready;
    }
    [[nodiscard]] bool tls() const { return wire_.tls(); }

    // Under TLS, after a login: carries bytes between the client and the session on
    // local (qmail-pop3d's end of a socket pair) until qmail-pop3d closes it.
    void relay(int local) {
        if (!plain_.empty() && !qm::write_all(local, plain_))
            return;
        plain_.clear();
        bool client_open = true;
        char buf[65536];
        for (;;) {
            // A client that has gone is not watched (its end would wake poll for ever).
            pollfd p[2] = {{local, POLLIN, 0}, {client_open ? wire_.in_fd() : -1, POLLIN, 0}};
            const int ready = ::poll(p, 2, static_cast<int>(timeout.count() * 1000));
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0)
                return;
            if ((p[0].revents & (POLLIN | POLLHUP)) != 0) {
                const ssize_t n = ::read(local, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0) {
                    // close_notify: the session ended, it was not cut.
                    wire_.close(clock::now() + timeout);
                    return;
                }
                if (!say(std::string_view(buf, static_cast<size_t>(n))))
                    return;
            }
            if (client_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                std::string plain;
                if (wire_.read(clock::now() + timeout, plain) != Got::data) {
                    client_open = false; // qmail-pop3d sees the end too
                    ::shutdown(local, SHUT_WR);
                    continue;
                }
                if (!qm::write_all(local, plain))
                    return;
            }
        }
    }

private:
    qm::smtp::DescriptorWire wire_{STDIN_FILENO, STDOUT_FILENO};
    std::string plain_;
};

// Runs the checkpassword program with the login on descriptor 3 and waits for it; it
// talks to the client itself when the login is right (through this process under TLS).
int check(Client& client, const std::vector<std::string>& program, const qm::pop3::Login& login,
          const std::string& timestamp) {
    int pi[2];
    if (::pipe2(pi, O_CLOEXEC) != 0) {
        (void)client.say("-ERR unable to open pipe\r\n");
        return 1;
    }
    qm::UniqueFd read_end(pi[0]);
    qm::UniqueFd write_end(pi[1]);
    qm::UniqueFd ours, theirs;
    if (client.tls()) {
        int sp[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
            (void)client.say("-ERR unable to open pipe\r\n");
            return 1;
        }
        ours = qm::UniqueFd(sp[0]);
        theirs = qm::UniqueFd(sp[1]);
    }
    qm::Spawn s;
    s.argv = program;
    s.search_path = true;
    const int session = client.tls() ? theirs.get() : -1;
    s.fds = {{session >= 0 ? session : STDIN_FILENO, 0},
             {session >= 0 ? session : STDOUT_FILENO, 1},
             {STDERR_FILENO, 2},
             {read_end.get(), 3}};
    const auto pid = qm::spawn(s);
    if (!pid) {
        (void)client.say("-ERR unable to fork\r\n");
        return 1;
    }
    read_end.reset();
    theirs.reset();
    // (A field with a NUL sends nothing: checkpassword then refuses the login.)
    std::string input = login.checkpassword_input(timestamp).value_or("");
    const bool written = static_cast<bool>(qm::write_all(write_end.get(), input));
    // The password leaves this process's memory as soon as it is handed over.
    ::explicit_bzero(input.data(), input.size());
    write_end.reset();
    if (!written)
        (void)client.say("-ERR unable to write pipe\r\n");
    if (ours)
        client.relay(ours.get());
    const auto status = qm::wait_for(*pid);
    if (!status)
        return 1;
    const auto code = qm::exit_code_of(*status);
    if (!code)
        (void)client.say("-ERR aack, child crashed\r\n");
    else if (*code != 0)
        (void)client.say("-ERR authorization failed\r\n");
    return 1;
}

// The POP3 authorization state on descriptors 0 and 1; args: HOSTNAME SUBPROGRAM ....
int serve_popup(qm::program::Words args) {
    Client client;
    if (args.size() < 2) {
        (void)client.say("-ERR usage: popup hostname subprogram\r\n");
        return 1;
    }
    ::signal(SIGPIPE, SIG_IGN);
    // Read before anything from the network, as qmail-smtpd reads its certificate.
    auto tls = qm::smtp::load_server_tls(qm::control::path("servercert.pem"));
    if (!tls) {
        (void)client.say("-ERR unable to read controls\r\n");
        return qm::program::fatal("qmail-popup", tls.error());
    }
    const std::vector<std::string> program(args.begin() + 1, args.end());
    qm::pop3::Authorization auth("<" + std::to_string(::getpid()) + "." +
                                     std::to_string(std::time(nullptr)) + "@" + args[0] + ">",
                                 *tls != nullptr);
    if (!client.say(auth.greeting()))
        return 1;
    std::string line;
    while (client.read_line(line)) {
        auto step = auth.handle(line);
        if (step.login) {
            const int code = check(client, program, *step.login, auth.timestamp());
            ::explicit_bzero(step.login->password.data(), step.login->password.size());
            return code;
        }
        if (!client.say(step.reply) || step.quit)
            return 1;
        if (step.start_tls) {
            if (!client.start_tls(**tls))
                return 1;
            auth.tls_started();
        }
    }
    return 1;
}

// --listen ...: the daemon that runs this program once per connection.
int daemon_main(int argc, char** argv) {
    namespace po = boost::program_options;
    struct State {
        std::vector<std::string> session; // HOSTNAME SUBPROGRAM ARG ...
        std::string self;
    };
    auto state = std::make_shared<State>();
    // Read now: the file this process runs from, whatever $PATH says later.
    std::error_code ec;
    state->self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    qm::server::Service s;
    s.name = "qmail-popup";
    s.usage = std::string(help);
    s.options.add_options()("session", po::value(&state->session)->multitoken(), "");
    s.positional = "session";
    s.keeps_root = true;
    s.refusals.busy = "-ERR too many connections, try again later\r\n";
    s.refusals.rules_unreadable = "-ERR unable to read rules\r\n";
    s.refusals.per_ip = "-ERR too many connections from your address\r\n";
    s.unavailable_reply = [](std::string_view text) {
        return "-ERR " + std::string(text) + "\r\n";
    };
    s.unavailable_exit = 1;
    s.doors =
        [state](qm::server::DaemonCore& core,
                const qm::server::Options& options) -> qm::Result<std::vector<qm::server::Door>> {
        if (state->session.size() < 2)
            return qm::fail(qm::perm("5.3.5", "usage: qmail-popup --listen ADDRESS:PORT HOSTNAME "
                                              "SUBPROGRAM [ARG ...]"));
        if (state->self.empty())
            return qm::fail(qm::temp("4.3.0", "unable to read /proc/self/exe"));
        std::vector<std::string> command{state->self};
        command.insert(command.end(), state->session.begin(), state->session.end());
        qm::server::Door door;
        door.listen = options.listen;
        door.serve = [&core, command](qm::server::Client client) {
            return qm::server::run_session_process(core, std::move(client), command);
        };
        return std::vector<qm::server::Door>{std::move(door)};
    };
    s.serve_stdio = [state](qm::server::Connection) -> qm::Result<int> {
        return serve_popup(state->session);
    };
    return qm::server::serve_main(argc, argv, s);
}

} // namespace

int main(int argc, char** argv) {
    // qmail's own invocation (qmail-popup HOSTNAME SUBPROGRAM ...) never starts with an
    // option; anything else is the daemon's.
    if (argc > 1 && std::string_view(argv[1]).starts_with("--") &&
        std::string_view(argv[1]) != "--help")
        return daemon_main(argc, argv);
    return qm::program::run({"qmail-popup", help}, argc, argv, serve_popup);
}

// qmail-pop3d MAILDIR: POP3's transaction state over a maildir, on descriptors 0 and 1,
// run by qmail-popup through a checkpassword program as the mailbox's owner.
#include "qm/fd.hpp"
#include "qm/pop3/transaction.hpp"
#include "qm/program.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: qmail-pop3d MAILDIR\n"
    "POP3 (RFC 1939) in the transaction state for the maildir MAILDIR (relative to the\n"
    "current directory, which checkpassword makes the user's home), on descriptors 0 and 1:\n"
    "STAT, LIST, UIDL, RETR, TOP, DELE, RSET, LAST, NOOP, QUIT. It answers +OK once the\n"
    "maildir is scanned (the answer to qmail-popup's PASS); at QUIT deleted messages are\n"
    "removed and the rest of new/ moves to cur/. Refuses to run as root (exit 1). A command\n"
    "line over 1024 bytes is refused; 20 minutes without a command end the session.\n";

constexpr int timeout_ms = 1200 * 1000;
constexpr size_t max_line = 1024;

bool write_out(std::string_view s) {
    return static_cast<bool>(qm::write_all(STDOUT_FILENO, s));
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-pop3d", help}, argc, argv, [](qm::program::Words args) {
        if (::getuid() == 0) {
            std::fputs("qmail-pop3d invoked as uid 0, terminating\n", stderr);
            return 1;
        }
        if (args.size() != 1 || ::chdir(args[0].c_str()) != 0) {
            (void)write_out("-ERR this user has no $HOME/Maildir\r\n");
            return 0;
        }
        ::signal(SIGPIPE, SIG_IGN);
        auto messages = qm::pop3::scan_maildir(".");
        if (!messages) {
            (void)write_out("-ERR unable to scan $HOME/Maildir\r\n");
            return 0;
        }
        qm::pop3::Transaction t(".", std::move(*messages));
        if (!write_out("+OK \r\n"))
            return 0;
        std::string in;
        char buf[4096];
        bool skipping = false; // the rest of a line that was too long
        for (;;) {
            const size_t nl = in.find('\n');
            if (nl != std::string::npos) {
                const std::string line = in.substr(0, nl);
                in.erase(0, nl + 1);
                if (skipping) {
                    skipping = false;
                    continue;
                }
                if (!t.handle(line, write_out))
                    return 0;
                continue;
            }
            if (in.size() > max_line) {
                in.clear();
                if (!skipping && !write_out("-ERR line too long\r\n"))
                    return 0;
                skipping = true;
            }
            pollfd p{STDIN_FILENO, POLLIN, 0};
            const int ready = ::poll(&p, 1, timeout_ms);
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0)
                return 0; // qmail-pop3d's 1200-second timeout
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return 0;
            in.append(buf, static_cast<size_t>(n));
        }
    });
}

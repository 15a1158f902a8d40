// qmail-qmqpc: qmail-queue's interface (message on fd 0, envelope on fd 1, qmail-queue's
// exit codes), but the message goes by QMQP to the first server in control/qmqpservers
// that answers (qmail-qmqpc(8)). With QMAILQUEUE pointing here, a null client's
// qmail-inject and sendmail send everything to the central mail host.
#include "qm/control.hpp"
#include "qm/dkim/signer.hpp"
#include "qm/fd.hpp"
#include "qm/log.hpp"
#include "qm/program.hpp"
#include "qm/qmtp/qmqp_client.hpp"

#include <signal.h>
#include <unistd.h>

#include <string_view>

namespace {

constexpr std::string_view help =
    "usage: qmail-qmqpc < message 1< envelope\n"
    "Takes a message on fd 0 and its envelope on fd 1, as qmail-queue does, and sends it\n"
    "by QMQP to the first server in $QMAILHOME/control/qmqpservers (one IP address per\n"
    "line, optionally IP:PORT or [IPv6]:PORT; port 628 by default) that takes the\n"
    "connection within 10 seconds. Exit codes are qmail-queue's: 0 accepted, 31 refused\n"
    "permanently, 71 refused temporarily, 72 connection timed out, 73 connection\n"
    "refused, 74 communication failed, 55 no usable qmqpservers, 91 bad envelope.\n"
    "Set QMAILQUEUE to this program to make qmail-inject and sendmail a null client.\n"
    "With $QMAILHOME/control/dkimkeys it DKIM-signs the message first, as remote delivery\n"
    "does (see dkim-keygen(8)); a key that cannot be used exits 55.\n";

// One log line; a server's text may hold anything, so control bytes become '?'.
int quit(qm::QueueExit code, std::string_view why) {
    std::string text(why);
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 32 || c == 127)
            c = '?';
    if (!text.empty())
        qm::log::line("qmail-qmqpc: " + text);
    return static_cast<int>(code);
}

} // namespace

// Not qm::program::run: as qmail-queue's, the exit codes are the interface.
int main(int argc, char** argv) {
    if (qm::program::help_requested({"qmail-qmqpc", help}, argc, argv))
        return 0;
    ::signal(SIGPIPE, SIG_IGN);
    try {
        auto lines = qm::control::read_lines("qmqpservers");
        if (!lines)
            return quit(qm::QueueExit::config_error, lines.error().text);
        std::vector<qm::qmtp::QmqpServer> servers;
        for (const auto& l : *lines) {
            auto s = qm::qmtp::parse_qmqp_server(l);
            if (!s)
                return quit(qm::QueueExit::config_error, s.error().text);
            servers.push_back(*s);
        }
        if (servers.empty())
            return quit(qm::QueueExit::config_error, "no servers in control/qmqpservers");
        auto message = qm::read_all(STDIN_FILENO);
        if (!message)
            return quit(qm::QueueExit::read_error, message.error().text);
        auto env = qm::qmtp::read_envelope(STDOUT_FILENO);
        if (!env)
            return quit(env.error().code, env.error().text);
        // A null client signs its own mail when control/dkimkeys names keys (the hub
        // then relays it unchanged); a table or key that cannot be read, or a signature
        // that cannot be made, is temporary: the mail waits for the admin's fix.
        auto signer = qm::dkim::Signer::load(qm::dirname_of(qm::control::path("dkimkeys")));
        if (!signer)
            return quit(qm::QueueExit::config_error, signer.error().text);
        if (!signer->empty()) {
            auto fields = signer->sign(*message, env->sender);
            if (!fields)
                return quit(qm::QueueExit::config_error, fields.error().text);
            message->insert(0, *fields);
        }
        auto outcome = qm::qmtp::qmqp_send(servers, *message, *env);
        return quit(outcome.exit, outcome.exit == qm::QueueExit::ok ? "" : outcome.detail);
    } catch (const std::bad_alloc&) {
        return quit(qm::QueueExit::out_of_memory, "out of memory");
    }
}

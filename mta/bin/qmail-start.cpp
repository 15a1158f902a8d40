// qmail-start [aliasempty [logger arg ...]]: starts qmail-send.
#include "qm/log.hpp"
#include "qm/program.hpp"
#include "qm/send/start.hpp"

#include <cstdio>
#include <new>
#include <stdexcept>

namespace {

constexpr std::string_view help =
    "usage: qmail-start [aliasempty [logger arg ...]]\n"
    "Starts qmail-send with aliasempty as the default delivery (default\n"
    "./Mailbox; ./Maildir/ for maildirs). With a logger, the activity log is\n"
    "piped into it (e.g. qmail-start ./Maildir/ splogger qmail); without one\n"
    "qmail-send stays in the foreground and logs on stderr.\n"
    "The mail root is $QMAILHOME (default /var/qmail).\n";

} // namespace

int main(int argc, char** argv) {
    if (qm::program::help_requested({"qmail-start", help}, argc, argv))
        return 0;
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        auto f = qm::send::exec_send(qm::send::parse_start_args(args));
        qm::log::alert("cannot start qmail-send: " + f.text);
        return qm::exit_code(f);
    } catch (const std::bad_alloc&) {
        return 111;
    } catch (const std::exception&) {
        return 111;
    }
}

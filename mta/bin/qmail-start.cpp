// qmail-start [aliasempty [logger arg ...]]: starts qmail-send.
#include "qm/log.hpp"
#include "qm/send/start.hpp"

#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: qmail-start [aliasempty [logger arg ...]]\n"
                  "Starts qmail-send with aliasempty as the default delivery (default\n"
                  "./Mailbox; ./Maildir/ for maildirs). With a logger, the activity log is\n"
                  "piped into it (e.g. qmail-start ./Maildir/ splogger qmail); without one\n"
                  "qmail-send stays in the foreground and logs on stderr.\n"
                  "The mail root is $QMAILHOME (default /var/qmail).");
        return 0;
    }
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

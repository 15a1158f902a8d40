// qmail-lspawn aliasempty: root mode's privileged helper for qmail-send (requests on fd 0,
// replies on fd 1). Started by qmail-start; not for direct use.
#include "qm/log.hpp"
#include "qm/send/lspawn.hpp"

#include <signal.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: qmail-lspawn aliasempty\n"
                  "Started by qmail-start in root mode: reads delivery and clean-up requests\n"
                  "from qmail-send on fd 0, delivers each as the recipient's user (never as\n"
                  "root) and reports K/Z/D on fd 1. Exits when qmail-send closes the socket.");
        return 0;
    }
    // qmail-send's SIGTERM must not kill deliveries half-way; EOF on fd 0 ends us.
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    try {
        auto s = qm::send::lspawn::serve(0, 1, argc > 1 ? argv[1] : "./Mailbox");
        if (!s) {
            qm::log::alert("qmail-lspawn: " + s.error().text);
            return qm::exit_code(s.error());
        }
        return 0;
    } catch (const std::bad_alloc&) {
        return 111;
    } catch (const std::exception&) {
        return 111;
    }
}

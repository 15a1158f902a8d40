// qmail-tcpok: clears the downed-host table, lock/tcpto and lock/tcpto6 (qmail-tcpok(8)).
#include "qm/queue/layout.hpp"
#include "qm/remote/tcpto.hpp"

#include <cstdio>
#include <cstring>
#include <exception>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: qmail-tcpok\n"
                  "Forgets every downed host: zeroes $QMAILHOME/queue/lock/tcpto and\n"
                  "lock/tcpto6 (default /var/qmail), so that qmail-send tries each address\n"
                  "again at its next delivery. Use it when a network outage is over.\n"
                  "Exit 0, or 111 when a table cannot be written.");
        return 0;
    }
    try {
        const auto queue = qm::queue::Layout::from_home();
        for (const auto& [path, format] : {std::pair{queue.tcpto(), qm::remote::tcpto_v4},
                                           std::pair{queue.tcpto6(), qm::remote::tcpto_v6}}) {
            if (auto s = qm::remote::clear_tcpto(path, format); !s) {
                std::fprintf(stderr, "qmail-tcpok: fatal: %s\n", s.error().text.c_str());
                return 111;
            }
        }
        return 0;
    } catch (const std::exception&) {
        std::fputs("qmail-tcpok: fatal: out of memory\n", stderr);
        return 111;
    }
}

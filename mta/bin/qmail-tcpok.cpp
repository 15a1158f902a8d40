// qmail-tcpok: clears the downed-host table, lock/tcpto and lock/tcpto6 (qmail-tcpok(8)).
#include "qm/program.hpp"
#include "qm/queue/layout.hpp"
#include "qm/remote/tcpto.hpp"

namespace {

constexpr std::string_view help =
    "usage: qmail-tcpok\n"
    "Forgets every downed host: zeroes $QMAILHOME/queue/lock/tcpto and\n"
    "lock/tcpto6 (default /var/qmail), so that qmail-send tries each address\n"
    "again at its next delivery. Use it when a network outage is over.\n"
    "Exit 0, or 111 when a table cannot be written.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-tcpok", help}, argc, argv, [](qm::program::Words) {
        const auto queue = qm::queue::Layout::from_home();
        for (const auto& [path, format] : {std::pair{queue.tcpto(), qm::remote::tcpto_v4},
                                           std::pair{queue.tcpto6(), qm::remote::tcpto_v6}})
            if (auto s = qm::remote::clear_tcpto(path, format); !s)
                return qm::program::fatal("qmail-tcpok", s.error().text, 111);
        return 0;
    });
}

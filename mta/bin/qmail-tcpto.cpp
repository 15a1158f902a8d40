// qmail-tcpto: prints the downed-host table, lock/tcpto and lock/tcpto6 (qmail-tcpto(8)).
#include "qm/program.hpp"
#include "qm/queue/layout.hpp"
#include "qm/remote/tcpto.hpp"

#include <cstdio>
#include <ctime>

namespace {

constexpr std::string_view help =
    "usage: qmail-tcpto\n"
    "Prints the addresses whose SMTP connections timed out recently, from\n"
    "$QMAILHOME/queue/lock/tcpto and lock/tcpto6 (default /var/qmail), one line\n"
    "each: \"IP timed out N seconds ago; # recent timeouts: C\". qmail-send skips\n"
    "an address with two or more for about an hour; qmail-tcpok clears the list.\n"
    "Exit 0, or 111 when a table cannot be read.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-tcpto", help}, argc, argv, [](qm::program::Words) {
        const auto queue = qm::queue::Layout::from_home();
        const std::time_t now = std::time(nullptr);
        std::string out;
        for (const auto& [path, format] : {std::pair{queue.tcpto(), qm::remote::tcpto_v4},
                                           std::pair{queue.tcpto6(), qm::remote::tcpto_v6}}) {
            auto entries = qm::remote::read_tcpto(path, format);
            if (!entries)
                return qm::program::fatal("qmail-tcpto", entries.error().text, 111);
            for (const auto& e : *entries)
                out += qm::remote::format_tcpto_entry(e, now);
        }
        std::fputs(out.c_str(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 111;
    });
}

// qmail-qstat: counts the queued messages and those not yet preprocessed (qmail-qstat(8)).
#include "qm/program.hpp"
#include "qm/tools/queue_report.hpp"

#include <cstdio>

namespace {

constexpr std::string_view help =
    "usage: qmail-qstat\n"
    "Prints how many messages are in $QMAILHOME/queue (default /var/qmail) and\n"
    "how many of them qmail-send has not preprocessed yet.\n"
    "Exit 0, or 111 when the queue cannot be read.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-qstat", help}, argc, argv, [](qm::program::Words) {
        auto counts = qm::tools::count_queue(qm::queue::Layout::from_home());
        if (!counts)
            return qm::program::fatal("qmail-qstat", counts.error().text, 111);
        std::fputs(qm::tools::format_qstat(*counts).c_str(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 111;
    });
}

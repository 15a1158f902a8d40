// qmail-qstat: counts the queued messages and those not yet preprocessed (qmail-qstat(8)).
#include "qm/tools/queue_report.hpp"

#include <cstdio>
#include <cstring>
#include <new>

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: qmail-qstat\n"
                  "Prints how many messages are in $QMAILHOME/queue (default /var/qmail) and\n"
                  "how many of them qmail-send has not preprocessed yet.\n"
                  "Exit 0, or 111 when the queue cannot be read.");
        return 0;
    }
    try {
        auto counts = qm::tools::count_queue(qm::queue::Layout::from_home());
        if (!counts) {
            std::fprintf(stderr, "qmail-qstat: fatal: %s\n", counts.error().text.c_str());
            return 111;
        }
        std::fputs(qm::tools::format_qstat(*counts).c_str(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 111;
    } catch (const std::exception&) {
        std::fputs("qmail-qstat: fatal: out of memory\n", stderr);
        return 111;
    }
}

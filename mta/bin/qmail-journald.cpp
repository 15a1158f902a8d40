// qmail-journald: the journal's one writer (qmail-journald(8)).
#include "qm/journal/service.hpp"
#include "qm/program.hpp"
#include "qm/queue/layout.hpp"

namespace {

constexpr std::string_view help =
    "usage: qmail-journald\n"
    "Takes accepted messages and delivery ends on $QMAILHOME/queue/lock/journal and\n"
    "appends them to the journal's segments in $QMAILHOME/queue/journal, many to one\n"
    "flush; each is answered once it is on stable storage. Runs until SIGTERM.\n"
    "Exit 0 after SIGTERM, 111 when it cannot start.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-journald", help}, argc, argv, [](qm::program::Words args) {
        if (!args.empty())
            return qm::program::fatal("qmail-journald", "usage: qmail-journald", 100);
        return qm::journal::run_journald({.queue_root = qm::queue::Layout::from_home().root});
    });
}

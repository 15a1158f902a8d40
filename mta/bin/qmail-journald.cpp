// qmail-journald: the journal's one writer (qmail-journald(8)).
#include "qm/journal/service.hpp"
#include "qm/log.hpp"
#include "qm/program.hpp"
#include "qm/queue/layout.hpp"
#include "qm/queue/recover.hpp"

namespace {

constexpr std::string_view help =
    "usage: qmail-journald\n"
    "Takes accepted messages and delivery ends on $QMAILHOME/queue/lock/journal and\n"
    "appends them to the journal's segments in $QMAILHOME/queue/journal, many to one\n"
    "flush; each is answered once it is on stable storage. Started, it first puts back\n"
    "in the queue every message the journal holds that a crash took from it. Runs until\n"
    "SIGTERM.\n"
    "Exit 0 after SIGTERM, 111 when it cannot start.\n";

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"qmail-journald", help}, argc, argv, [](qm::program::Words args) {
        if (!args.empty())
            return qm::program::fatal("qmail-journald", "usage: qmail-journald", 100);
        const auto layout = qm::queue::Layout::from_home();
        auto recover = [layout]() -> qm::Result<qm::journal::RecoveredJournal> {
            auto r = qm::queue::recover_from_journal(layout);
            if (!r)
                return std::unexpected(r.error());
            for (const auto& p : r->problems)
                qm::log::warning("journal: " + p);
            qm::log::line("journal: recovered: " + std::to_string(r->held) + " held, " +
                          std::to_string(r->whole) + " whole, " + std::to_string(r->repaired) +
                          " repaired, " + std::to_string(r->rebuilt) + " queued again, " +
                          std::to_string(r->delivered) + " delivered, " +
                          std::to_string(r->channels_repaired) + " with channel files repaired, " +
                          std::to_string(r->marks_applied) + " with done marks restored" +
                          (r->unchecked > 0 ? ", " + std::to_string(r->unchecked) +
                                                  " whole by mess/ alone (info/ is qmail-send's)"
                                            : std::string()));
            return std::move(r->journal);
        };
        return qm::journal::run_journald({.queue_root = layout.root, .recover = recover});
    });
}

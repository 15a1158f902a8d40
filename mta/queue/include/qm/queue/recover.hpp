// The queue rebuilt from the journal (qmail-journal(5)) when qmail-journald starts, before
// anyone may queue: every message the journal still holds (an M and no E) must be in the
// queue whole, found by the j<id> of its envelope (todo/N or info/S/N), not by its queue
// id, which a rebuild changes.
//   whole            mess/S/N has the size the journal states and, once preprocessed,
//                    its channel files name every recipient not done: nothing to do;
//   channels short   preprocessed, but local/S/N or remote/S/N is missing, cut short or
//                    lacks recipients: written again, the recipients done in the journal
//                    marked D (and a T that the journal has as done becomes a D even in
//                    a whole file, so a mark lost in a crash is not a second delivery);
//   mess cut short   its envelope is there: mess/S/N is written again from the journal
//                    (same file, same N);
//   missing          no envelope names it: queued again from the journal, under a new
//                    N, with the same journal id, for the recipients qmail-send had not
//                    marked done (D records, matched after routing: control/locals and
//                    virtualdomains as they are now); with none left, only its E is due.
// Damaged segments are reported and everything else is still recovered.
#pragma once

#include "qm/journal/state.hpp"
#include "qm/queue/layout.hpp"
#include "qm/result.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace qm::queue {

struct Recovery {
    std::size_t held = 0, whole = 0, repaired = 0, rebuilt = 0;
    std::size_t delivered = 0; // every recipient done: only the E was missing
    std::size_t channels_repaired = 0, marks_applied = 0;
    // Root mode: whole by its mess/S/N alone, its channel files (qmails') not checked.
    std::size_t unchecked = 0;
    std::vector<std::string> problems;
    journal::RecoveredJournal journal; // for qmail-journald: what it holds, what to end
};

[[nodiscard]] Result<Recovery> recover_from_journal(const Layout& layout);

} // namespace qm::queue

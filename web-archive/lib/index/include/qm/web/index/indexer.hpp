// Keeping a list's web index (index.hpp) up to date from its archive: the messages
// ezmlm-send archived as LISTDIR/archive/N/NN after the last one indexed, up to
// LISTDIR/num. Run after each post from the list's .qmail, and by hand to rebuild.
//
// Only messages whose owner-execute bit is set count as archived (ezmlm-send sets it
// once the file is complete, as ezmlm-get and ezmlm-cgi expect); a number without such
// a file is recorded as missing and passed over. num is read under LISTDIR/lock, the lock
// ezmlm-send holds until a post is archived and queued (or its number given back), so no
// number the index takes can be handed out again to another post.
//
// One indexer at a time per list: LISTDIR/webarchive/lock. An incremental run that finds
// it taken leaves LISTDIR/webarchive/again and exits at once; the running one, after
// its pass, sees the file and makes another pass, so the post that started the second run
// is indexed without any delivery waiting for the first (a rebuild can take minutes). A
// rebuild waits for the lock.
#pragma once

#include "qm/result.hpp"
#include "qm/web/index/message.hpp"

#include <functional>
#include <string>

namespace qm::web {

struct UpdateOptions {
    bool rebuild = false;      // drop everything and index the whole archive anew
    unsigned long batch = 500; // messages per transaction
    Limits limits;
    // After each message number: (done, total) of this pass.
    std::function<void(unsigned long, unsigned long)> progress;
};

struct UpdateOutcome {
    unsigned long indexed = 0; // messages added by this run
    unsigned long missing = 0; // numbers recorded as not in the archive
    unsigned long last = 0;    // the highest number the index now covers
    bool handed_over = false;  // another indexer was running; it indexes this run's work
};

// A failure is permanent when dir is not a list directory or the list is not archived, when
// root runs it on a list root does not own (the index would become unwritable for the
// owner's runs),
// or when the database is unusable (corrupt, made by a newer indexer); temporary for
// anything the next run may get past (busy, disk full, unreadable files).
[[nodiscard]] Result<UpdateOutcome> update_web_index(const std::string& dir,
                                                     const UpdateOptions& options = {});

} // namespace qm::web

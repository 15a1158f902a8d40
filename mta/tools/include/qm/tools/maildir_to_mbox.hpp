// maildir2mbox(1): moves a maildir's messages (new/ and cur/, oldest first by their
// mtime; one changed this second waits for the next run) to the end of an mbox file, as qmail's
// maildir2mbox does: the mbox is locked, copied to a temporary file with the messages appended (a
// From_ line made from each message's Return-Path, lines matching ^>*From  quoted, a blank line
// after each), flushed, and renamed over the mbox; only then are the messages removed. A crash
// before the rename leaves both as they were; after it, a message may be in both (the removal is
// what may be lost), never in neither. Files in tmp/ not read for 36 hours go.
#pragma once

#include "qm/result.hpp"

#include <string>
#include <vector>

namespace qm::tools {

struct MboxMove {
    size_t moved = 0;
    // Messages that are in the mbox now and could not be removed from the maildir.
    struct Kept {
        std::string name; // "new/..." or "cur/..."
        std::string why;
    };
    std::vector<Kept> not_removed;
};

// Temporary failures only (qmail's 111): the maildir, the mbox or the temporary file.
[[nodiscard]] Result<MboxMove> maildir_to_mbox(const std::string& maildir, const std::string& mbox,
                                               const std::string& mbox_tmp);

} // namespace qm::tools

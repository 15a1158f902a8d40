// ezmlm-import (ezmlm-import(1)): posts from an mbox file appended to a list's archive, for
// an admin moving a list from elsewhere. Each "From " line starts a message (the line
// itself is dropped, as is anything before the first); the messages get the numbers
// after dir/num, archive files of mode 0744 as ezmlm-send writes them, and num is
// advanced with its size counter. The index is not made: ezmlm-idx does that.
#pragma once

#include "qm/result.hpp"

#include <cstddef>
#include <string>

namespace qm::lists {

struct Imported {
    unsigned long first = 0, last = 0; // numbers given; first > last when none
};
// Reads the mbox from fd to its end. Holds dir/lock. Every message file is durable before
// num names it, so a crash leaves at most unnumbered files that the next post or import
// overwrites. A last line without a newline is dropped, as ezmlm-idx 7 drops it.
[[nodiscard]] Result<Imported> import_mbox(const std::string& dir, int fd);

} // namespace qm::lists

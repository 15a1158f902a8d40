// Reading a maildir's messages the way qmail's maildir_scan and maildir_clean do, for the
// programs that read maildirs whole: qmail-pop3d, maildir2mbox, maildirwatch.
#pragma once

#include "qm/result.hpp"

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

namespace qm::maildir {

struct Entry {
    std::string name; // "new/..." or "cur/..." under the maildir
    std::time_t mtime = 0;
    std::uint64_t size = 0;
};

struct ScanOptions {
    bool cur = true; // cur/ as well as new/
    // A message changed in this very second waits for the next scan, so that the order
    // by time stays right (qmail's maildir_scan); maildirwatch shows everything.
    bool skip_this_second = true;
};

// The messages, oldest first (mtime, then name). A subdirectory that cannot be read is a
// temporary failure; a message that vanished meanwhile is left out.
[[nodiscard]] Result<std::vector<Entry>> scan(const std::string& maildir, ScanOptions options = {});

// qmail's maildir_clean: files in tmp/ not read for 36 hours are deliveries that died;
// they go. Errors change nothing and are not reported.
void clean_tmp(const std::string& maildir);

} // namespace qm::maildir

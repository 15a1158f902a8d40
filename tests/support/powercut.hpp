// A simulated power cut for a mail root: what a machine that lost its power would find on
// its disk when it comes back, built from a record of every change the programs made.
//
// The recorder (powercut/shim.cpp, loaded with LD_PRELOAD) logs each change under the root
// and each flush, in the order they happened. The durable state at the cut is the snapshot
// taken before the run plus, in log order, each change that a flush which ended before the
// cut had made durable, under a strict POSIX model (stricter than ext4, whose fsync of a
// new file also commits its name):
//   - a file's data (writes, truncations) are durable up to the last fsync or fdatasync
//     of that file (the same inode, through any name or descriptor) that ended before the
//     cut; each flush covers the changes logged before it began;
//   - a directory's entries (a file created, linked, renamed in or out, removed; a
//     subdirectory made or removed) are durable up to the last fsync of that directory:
//     the fsync of a file does not make its name durable, nor does the fsync of another
//     directory; a rename between two directories is two changes, the new name durable
//     with the target directory and the removal of the old name with the source (so a
//     cut may leave both names, or neither);
//   - syncfs and sync make everything logged before they began durable;
//   - sync_file_range makes nothing durable.
// A name that is durable for a file whose data are not shows the data that are: possibly
// none (the empty or short file ext4's delayed allocation leaves). A file whose name never
// became durable is gone, whatever its data; a name in a directory that is itself gone is
// gone too.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

namespace qmtest::powercut {

// A world-readable copy of the recorder library, for LD_PRELOAD.
[[nodiscard]] std::string shim_path();
// The environment that makes a program record its changes under root into log.
[[nodiscard]] std::map<std::string, std::string> shim_env(const std::string& root,
                                                          const std::string& log);

// The tree under root before the run: a copy in dir, and the inode each path had (the log
// names files by inode).
struct Snapshot {
    std::string root, dir;
    std::map<std::string, ino_t> inodes; // path relative to root -> inode
};
Snapshot snapshot(const std::string& root, const std::string& dir);

struct ReplayStats {
    size_t records = 0;        // whole records read from the log
    size_t flushes = 0;        // flushes that ended before the cut (A counted too)
    size_t syncs = 0;          // of them, syncfs and sync
    size_t unflushed = 0;      // flushes begun and not ended at the cut
    size_t noted = 0;          // sync_file_range calls: not flushes
    size_t files = 0;          // regular files in the durable state
    size_t stale_files = 0;    // of them, with content other than the last written
    size_t lost_names = 0;     // names the run made that the cut took away
    size_t unknown_inodes = 0; // changes to inodes neither in the snapshot nor created
};

// Writes into out (emptied first) the durable state of the root at the cut, the cut being
// the end of the log: the test kills every recording process before it reads the log.
ReplayStats replay(const Snapshot& snap, const std::string& log, const std::string& out);

} // namespace qmtest::powercut

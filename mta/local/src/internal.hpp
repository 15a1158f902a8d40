// Pieces of qmail-local shared by deliver.cpp and its helpers. Private to qm_local.
// Everything here reads the message with pread() or through a fresh open file
// description, never through the caller's file offset, so that several threads can
// deliver the same queued message at once.
#pragma once

#include "qm/fd.hpp"
#include "qm/process.hpp"
#include "qm/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qm::local::detail {

// The three header lines qmail-local adds (qmail-local(8)), each ending in '\n'.
struct Lines {
    std::string rpline; // Return-Path: <sender>
    std::string dtline; // Delivered-To: local@domain
    std::string ufline; // From sender ctime   (mbox only)
};

// A new open file description for the message, positioned at 0, for a child's stdin
// or for qmail-queue: /proc/self/fd/N reopened when the message is a regular file,
// else a memfd copy.
[[nodiscard]] Result<UniqueFd> fresh_message_fd(int message_fd);

// Whether a header line (up to the first empty line) is byte-identical to line.
[[nodiscard]] Result<bool> header_has_line(int message_fd, std::string_view line);

// Reads the message from offset 0 in blocks, with pread.
class MessageReader {
public:
    // block: how much one read asks for (the loop check needs only the header).
    explicit MessageReader(int fd, size_t block = 65536)
        : fd_(fd)
        , buf_(block, '\0') {}
    // Next block; empty at EOF.
    [[nodiscard]] Result<std::string_view> next();

private:
    int fd_;
    off_t offset_ = 0;
    std::string buf_;
};

// Appends the message to out_fd after prefix (copy_file_range when possible).
[[nodiscard]] Status copy_message(int message_fd, int out_fd);

// What makes a maildir delivery's name the same on every attempt of a message the journal
// holds (Delivery::journal_id): the message, the recipient, and which file delivery of
// its .qmail this is.
struct StableName {
    std::uint64_t journal_id = 0;
    unsigned long line = 0;     // 1 for the first mbox or maildir line, 2 for the next...
    std::string_view recipient; // local@domain as addressed
};

// With stable, the name is maildir_stable_name(), and a file of that name already in new/
// (or in cur/ with no flags yet) means this delivery was made before: it succeeds without
// writing. Without, a new unique name.
[[nodiscard]] Status deliver_maildir(int home_fd, const std::string& dir, const Lines& lines,
                                     int message_fd, const StableName* stable = nullptr);
[[nodiscard]] Status deliver_mbox(int home_fd, const std::string& path, const Lines& lines,
                                  int message_fd);

struct ProgramRun {
    ChildOutcome outcome = ChildOutcome::temporary;
    std::string output; // stdout and stderr together, capped
};
// /bin/sh -c command with cwd home, the given environment, and stdin_fd as stdin.
[[nodiscard]] Result<ProgramRun> run_program(const std::string& home, const std::string& command,
                                             const std::vector<std::string>& env, int stdin_fd);

// The maildir file name "<sec>.M<usec>P<pid>Q<n>.<host>", unique across threads.
[[nodiscard]] std::string maildir_unique_name();
// "J<journal id>.<line>.<16 hex digits of a hash of the recipient and dir>.<host>".
[[nodiscard]] std::string maildir_stable_name(const StableName& s, std::string_view dir);

// Before a delivery's first flush: tells the thread's FlushWaitNotice, if one is set.
void flush_wait_begins();

// fsync(dir_fd), or the same flush of the same directory that another thread of this
// process makes meanwhile (dir_sync.cpp). False when the flush that covers it failed.
[[nodiscard]] bool sync_directory(int dir_fd);

// strerror() for threads (strerror may use a static buffer).
using qm::error_text;

// qmail's error_temp (is_temporary_errno) plus EACCES/EPERM: errors after which a
// .qmail file cannot be assumed absent.
[[nodiscard]] bool open_error_is_temporary(int err);

} // namespace qm::local::detail

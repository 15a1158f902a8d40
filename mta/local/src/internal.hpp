// Pieces of qmail-local shared by deliver.cpp and its helpers. Private to qm_local.
// Everything here reads the message with pread() or through a fresh open file
// description, never through the caller's file offset, so that several threads can
// deliver the same queued message at once.
#pragma once

#include "qm/fd.hpp"
#include "qm/process.hpp"
#include "qm/result.hpp"

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

[[nodiscard]] Status deliver_maildir(int home_fd, const std::string& dir, const Lines& lines,
                                     int message_fd);
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

// strerror() for threads (strerror may use a static buffer).
using qm::error_text;

// qmail's error_temp (is_temporary_errno) plus EACCES/EPERM: errors after which a
// .qmail file cannot be assumed absent.
[[nodiscard]] bool open_error_is_temporary(int err);

} // namespace qm::local::detail

// The queue's on-disk layout (qmail INTERNALS, queue/ under the mail root):
//   pid/         temp files while qmail-queue learns its inode number
//   mess/S/N     message N (N = its inode number, S = N % split)
//   intd/N       envelope under construction    todo/N  hard link of intd/N = queued
//   info/S/N     F<sender>\0, mtime = birth     local/S/N, remote/S/N  T<rcpt>\0 records,
//                                               T becomes D once that recipient is done
//   bounce/N     accumulated permanent failures
//   lock/sendmutex, lock/trigger (FIFO), lock/tcpto, lock/tcpto6 (downed hosts)
//   mtasts/D     remote delivery's cache of domain D's MTA-STS policy (qmailr's)
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <string>
#include <vector>

namespace qm::queue {

inline constexpr unsigned long split = 23; // qmail's conf-split

using MessageId = unsigned long; // the inode number of mess/S/N

struct Layout {
    std::string root; // <home>/queue

    [[nodiscard]] static Layout from_home(); // $QMAILHOME/queue

    [[nodiscard]] std::string split_path(const char* dir, MessageId id) const;
    [[nodiscard]] std::string flat_path(const char* dir, MessageId id) const;
    [[nodiscard]] std::string mess(MessageId id) const { return split_path("mess", id); }
    [[nodiscard]] std::string info(MessageId id) const { return split_path("info", id); }
    [[nodiscard]] std::string local(MessageId id) const { return split_path("local", id); }
    [[nodiscard]] std::string remote(MessageId id) const { return split_path("remote", id); }
    [[nodiscard]] std::string intd(MessageId id) const { return flat_path("intd", id); }
    [[nodiscard]] std::string todo(MessageId id) const { return flat_path("todo", id); }
    [[nodiscard]] std::string bounce(MessageId id) const { return flat_path("bounce", id); }
    [[nodiscard]] std::string dir(const char* name) const { return root + "/" + name; }
    [[nodiscard]] std::string trigger() const { return root + "/lock/trigger"; }
    [[nodiscard]] std::string sendmutex() const { return root + "/lock/sendmutex"; }
    [[nodiscard]] std::string tcpto() const { return root + "/lock/tcpto"; }
    [[nodiscard]] std::string tcpto6() const { return root + "/lock/tcpto6"; }
    [[nodiscard]] std::string mtasts() const { return root + "/mtasts"; }
};

// Owners of the queue parts; in normal-user mode all are the current user.
struct QueueOwners {
    uid_t qmailq = 0; // qmail-queue: pid mess intd todo
    uid_t qmails = 0; // qmail-send: info local remote bounce sendmutex
    gid_t qmail = 0;  // group of everything
    // qmail-remote, run by qmail-rspawn in root mode: lock/tcpto and lock/tcpto6, the
    // downed-host tables (0644, so qmail-tcpto can read them), and mtasts/, its cache of
    // MTA-STS policies.
    uid_t qmailr = 0;
};

// The message numbers the files of dir are named by, in directory order; other names
// (editor leftovers, dot files) are left out. A directory that cannot be read is an error
// naming it (temporary).
[[nodiscard]] Result<std::vector<MessageId>> message_ids_in(const std::string& dir);
// The same over dir/0 .. dir/22, the split subdirectories (mess, info, local, remote).
[[nodiscard]] Result<std::vector<MessageId>> message_ids_in_split(const std::string& dir);

// Creates every directory and lock file with qmail's modes. Existing parts are kept, so
// running it again repairs a partial queue without touching queued mail.
[[nodiscard]] Status create(const std::string& root, const QueueOwners& owners);

// Wakes qmail-send: opens lock/trigger non-blocking and writes one byte. Silent when
// nobody listens (qmail-send rescans todo/ periodically anyway).
void pull_trigger(const Layout& layout);

} // namespace qm::queue

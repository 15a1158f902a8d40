// What every writer of an mbox file shares (qmail-local's mbox delivery, maildir2mbox):
// qmail's From_ quoting and the lock qmail, mutt and Dovecot all respect.
#pragma once

#include "qm/result.hpp"

#include <string>
#include <string_view>

namespace qm::local {

// qmail's gfrom: a line matching ^>*From  gets one more '>' so mbox readers do not take
// it for a message boundary.
[[nodiscard]] bool needs_from_quote(std::string_view line);

// message appended to out as an mbox holds it (after its From_ line): every line quoted
// as needs_from_quote says, a last line without a newline given one.
void append_from_quoted(std::string& out, std::string_view message);

// Locks an mbox open for writing, waiting up to 30 seconds (qmail's alarm(30) around
// lock_ex): flock() and an OFD fcntl lock. false: the file system has no locks (qmail
// then goes on unlocked); a lock held for 30 seconds is a temporary failure.
[[nodiscard]] Result<bool> lock_mbox(int fd);

} // namespace qm::local

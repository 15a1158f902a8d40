// Root mode (qmail-rspawn(8)): remote deliveries run as qmailr, away from the queue's
// owners, so that a hostile SMTP server or DNS answer never reaches a process that can
// write the queue. qmail-rspawn takes R requests of the spawn protocol
// (qm/send/spawn_protocol.hpp), runs qmail-remote(8) for each attempt with the message on
// its stdin, and folds qmail-remote's report into one verdict per recipient
// (qm::remote::fold).
#pragma once

#include "qm/result.hpp"

#include <string>
#include <vector>

namespace qm::send::rspawn {

// The qmail-remote to run: $QMAILREMOTE when set (an admin's wrapper, as in qmail; the
// environment is qmail-start's, which root gave it), else qmail-remote beside this program.
[[nodiscard]] std::string remote_program();

// qmail-rspawn's main loop: requests on in_fd, replies on out_fd, until EOF; waits for
// running attempts before returning.
[[nodiscard]] Status serve(int in_fd, int out_fd, const std::string& program);

} // namespace qm::send::rspawn

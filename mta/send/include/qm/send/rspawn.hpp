// Root mode (qmail-rspawn(8)): remote deliveries run as qmailr, away from the queue's
// owners, so that a hostile SMTP server or DNS answer never reaches a process that can
// write the queue. qmail-rspawn takes R requests of the spawn protocol
// (qm/send/spawn_protocol.hpp) and delivers each attempt with qm::remote::Client, the code
// qmail-remote(8) runs, in its own process (connections reused across messages); with
// $QMAILREMOTE set it runs that program for each attempt instead, the message on its stdin,
// as qmail-rspawn does. Either way qmail-remote's report is folded into one verdict per
// recipient (qm::remote::fold).
#pragma once

#include "qm/result.hpp"

#include <string>
#include <vector>

namespace qm::send::rspawn {

// The program to run for each attempt: $QMAILREMOTE when set (an admin's wrapper, as in
// qmail; the environment is qmail-start's, which root gave it), else empty: deliver here.
[[nodiscard]] std::string remote_program();

// qmail-rspawn's main loop: requests on in_fd, replies on out_fd, until EOF; waits for
// running attempts before returning. program empty: deliveries in this process (the
// control files are read once, now).
[[nodiscard]] Status serve(int in_fd, int out_fd, const std::string& program);

} // namespace qm::send::rspawn

// Root mode (qmail-lspawn(8)): qmail-send runs as qmails and never as root; the small
// privileged qmail-lspawn process does what needs root on its behalf, over the spawn
// protocol (qm/send/spawn_protocol.hpp): each local delivery (D, through
// qm::local::deliver_recipient: a qmail-local process as the recipient, never uid 0) and
// the queue unlinks that belong to qmailq (C, qmail-clean's job: intd/N + todo/N after
// preprocessing, mess/N at the end).
#pragma once

#include "qm/result.hpp"

#include <string>

namespace qm::send::lspawn {

// qmail-lspawn's main loop: requests on in_fd, replies on out_fd, until EOF; waits for
// running deliveries before returning.
[[nodiscard]] Status serve(int in_fd, int out_fd, const std::string& default_delivery);

} // namespace qm::send::lspawn

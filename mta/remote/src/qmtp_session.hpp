// One message to one host over QMTP (mta.md section 6.1; private to mta/remote): the
// package in qm::qmtp's framing, the message streamed from the queue file, then one
// response per recipient, K, Z or D, which become qmail-remote's report for it.
#pragma once

#include "connection.hpp"
#include "qm/remote/client.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace qm::remote {

// stored_bytes: the size of the queue file, which becomes the message netstring's length;
// a file that reads shorter or longer aborts the package (nothing is queued at the peer).
[[nodiscard]] awaitable<Outcome> qmtp_session(Conn& c, const std::string& ip, const Job& job,
                                              int fd, std::uint64_t stored_bytes);

} // namespace qm::remote

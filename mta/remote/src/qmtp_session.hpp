// One message to one host over QMTP (mta.md section 6.1; private to mta/remote): the
// package in qm::qmtp's framing, the message streamed from the queue file, then one
// response per recipient, K, Z or D, which become qmail-remote's report for it.
//
// QMTP lets a client send any number of packages over one connection, so a connection
// whose every response came back may carry the next message to the same host (a list's
// VERP copies): the caller parks it. QMTP has no RSET to test a parked connection with;
// a parked connection that fails before any response byte came back is "stale" and the
// caller connects afresh.
#pragma once

#include "connection.hpp"
#include "qm/remote/client.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace qm::remote {

// done: out holds the report; reusable: the same, and the connection may carry another
// package; stale: a reused connection died before answering anything, out is untouched.
enum class QmtpEnd { done, reusable, stale };

// stored_bytes: the size of the queue file, which becomes the message netstring's length;
// a file that reads shorter or longer aborts the package (nothing is queued at the peer).
[[nodiscard]] awaitable<QmtpEnd> qmtp_session(Conn& c, const std::string& ip, const Job& job,
                                              int fd, std::uint64_t stored_bytes,
                                              std::string_view prefix, bool reused, Outcome& out);

} // namespace qm::remote

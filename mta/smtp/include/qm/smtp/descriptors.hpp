// qmail-smtpd on stdin/stdout, as under tcpserver or inetd: the Session's driver on two
// blocking descriptors. It waits for the client with poll, writes the replies before
// every wait (what PIPELINING needs), runs qmail-queue and checkpassword in line, and
// after STARTTLS carries the rest of the session through OpenSSL on the same descriptors.
// control/timeoutsmtpd is a deadline, as in the --listen daemon: from the last reply for
// the next command (bytes trickling in do not move it; 64 KiB of DATA does), and for
// every write (a client that never reads is dropped, logged "write timeout").
#pragma once

#include "qm/smtp/session.hpp"

#include <boost/asio/ssl/context.hpp>

namespace qm::smtp {

// tls: the server context when the session offers STARTTLS, else nullptr. Returns when
// the session is over (QUIT, the client left, a timeout, a failed handshake); whatever
// was half received is abandoned. The exit status qmail-smtpd ends with, as qmail's: 0
// after QUIT was answered, 1 for every other end (end of input, a timeout, the 451 for a
// bare LF, too many errors).
[[nodiscard]] int serve_descriptors(Session& session, int in_fd, int out_fd,
                                    boost::asio::ssl::context* tls);

} // namespace qm::smtp

// qmail-smtpd on stdin/stdout, as under tcpserver or inetd: the Session's driver on two
// blocking descriptors. It waits for the client with poll (control/timeoutsmtpd per
// read), writes the replies before every wait (what PIPELINING needs), runs qmail-queue
// and checkpassword in line, and after STARTTLS carries the rest of the session through
// OpenSSL on the same descriptors.
#pragma once

#include "qm/smtp/session.hpp"

#include <boost/asio/ssl/context.hpp>

namespace qm::smtp {

// tls: the server context when the session offers STARTTLS, else nullptr. Returns when
// the session is over (QUIT, the client left, a timeout, a failed handshake); whatever
// was half received is abandoned.
void serve_descriptors(Session& session, int in_fd, int out_fd, boost::asio::ssl::context* tls);

} // namespace qm::smtp

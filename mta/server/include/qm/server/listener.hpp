// Listening sockets for the daemons (qmail-smtpd, qmail-qmtpd, qmail-qmqpd --listen):
// "127.0.0.1:2525", "[::1]:2525", ":25" (every address, IPv4 and IPv6).
#pragma once

#include "qm/result.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace qm::server {

[[nodiscard]] Result<boost::asio::ip::tcp::endpoint> parse_listen(const std::string& spec);
// Opens, binds and listens; a malformed spec is permanent, a bind failure temporary, both
// naming the spec.
[[nodiscard]] Status open_listener(boost::asio::ip::tcp::acceptor& acceptor,
                                   const std::string& spec);
// "address:port", for log lines.
[[nodiscard]] std::string endpoint_text(const boost::asio::ip::tcp::endpoint& e);

} // namespace qm::server

// Listening sockets for the daemons (qmail-smtpd, qmail-qmtpd, qmail-qmqpd --listen):
// "127.0.0.1:2525", "[::1]:2525", ":25" (every address, IPv4 and IPv6), or "systemd" /
// "systemd:NAME" for the sockets systemd bound and passed (socket activation,
// sd_listen_fds(3): LISTEN_PID, LISTEN_FDS from descriptor 3, LISTEN_FDNAMES from the
// units' FileDescriptorName=), all of them or those named NAME.
#pragma once

#include "qm/result.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <string>
#include <vector>

namespace qm::server {

[[nodiscard]] Result<boost::asio::ip::tcp::endpoint> parse_listen(const std::string& spec);
// Opens, binds and listens; a malformed spec is permanent, a bind failure temporary, both
// naming the spec.
[[nodiscard]] Status open_listener(boost::asio::ip::tcp::acceptor& acceptor,
                                   const std::string& spec);
// The spec names sockets passed by systemd ("systemd", "systemd:NAME").
[[nodiscard]] bool is_inherited_spec(const std::string& spec);
// The descriptors such a spec names: listening TCP sockets, close-on-exec from now on.
// LISTEN_* are read once and then removed from the environment, so that no program the
// daemon runs takes them for its own. None that match is a permanent error.
[[nodiscard]] Result<std::vector<int>> inherited_listeners(const std::string& spec);
// Takes over one of them.
[[nodiscard]] Status adopt_listener(boost::asio::ip::tcp::acceptor& acceptor, int fd);
// "address:port", for log lines.
[[nodiscard]] std::string endpoint_text(const boost::asio::ip::tcp::endpoint& e);

} // namespace qm::server

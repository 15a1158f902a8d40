// A client's connection as a network daemon sees it, whatever the protocol: the addresses
// and names tcpserver puts in the environment (tcp-environ(5)), or that the --listen
// daemon reads off the socket, and the settings the client's tcprules entry adds. A
// protocol reads the settings it knows (qmail-smtpd: RELAYCLIENT, DATABYTES, ...).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qm::server {

struct Connection {
    std::string remote_ip = "unknown";
    std::string remote_host = "unknown";
    std::optional<std::string> remote_info;
    std::string local_host = "unknown";
    std::string local_ip;
    // Settings from the client's tcprules entry (daemon mode), in the rule's order; the
    // mail daemons pass every one on to qmail-queue's environment.
    std::vector<std::pair<std::string, std::string>> env;
};

// TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO, TCPLOCALIP and TCPLOCALHOST (default: the
// local IP), for a program run by tcpserver or inetd.
[[nodiscard]] Connection connection_from_environment();

} // namespace qm::server

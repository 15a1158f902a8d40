// A session in a process of its own, as tcpserver runs one: for the daemons whose session
// must change its privileges per client (qmail-popup: checkpassword becomes the user who
// logged in), so the daemon keeps root and no session can see another's memory.
#pragma once

#include "qm/server/serve.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

namespace qm::server {

// The program's environment: this process's, less what tcpserver would set, then
// tcp-environ(5)'s PROTO=TCP, TCPLOCALIP, TCPLOCALPORT, TCPLOCALHOST, TCPREMOTEIP,
// TCPREMOTEPORT, then the client's tcprules settings.
[[nodiscard]] std::vector<std::string> session_environment(const Client& client);

// Runs argv with the connection on descriptors 0 and 1 (and this process's 2), nothing
// else open, and resumes when it has ended; the loop serves the other clients meanwhile.
// Listed in core.session_processes while it runs, so that a second signal ends it.
// false (and a log line) when it could not start.
[[nodiscard]] boost::asio::awaitable<bool> run_session_process(DaemonCore& core, Client client,
                                                               std::vector<std::string> argv);

} // namespace qm::server

#include "qm/server/connection.hpp"

#include "qm/env.hpp"

namespace qm::server {

Connection connection_from_environment() {
    Connection conn;
    if (auto v = env("TCPREMOTEIP"))
        conn.remote_ip = *v;
    if (auto v = env("TCPREMOTEHOST"))
        conn.remote_host = *v;
    conn.remote_info = env("TCPREMOTEINFO");
    if (auto v = env("TCPLOCALIP"))
        conn.local_ip = *v;
    if (auto v = env("TCPLOCALHOST"))
        conn.local_host = *v;
    else if (!conn.local_ip.empty())
        conn.local_host = conn.local_ip;
    return conn;
}

} // namespace qm::server

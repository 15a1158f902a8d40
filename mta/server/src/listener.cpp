#include "qm/server/listener.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>

namespace qm::server {

namespace asio = boost::asio;
using asio::ip::tcp;

Result<tcp::endpoint> parse_listen(const std::string& spec) {
    auto colon = spec.rfind(':');
    if (colon == std::string::npos)
        return fail(perm("5.3.5", "listen address " + spec + " has no :port"));
    std::string host = spec.substr(0, colon);
    const std::string port = spec.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    unsigned long p = 0;
    try {
        p = std::stoul(port);
    } catch (const std::exception&) {
        p = 0;
    }
    if (p == 0 || p > 65535)
        return fail(perm("5.3.5", "listen address " + spec + " has a bad port"));
    boost::system::error_code ec;
    auto addr = host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                             : asio::ip::make_address(host, ec);
    if (ec)
        return fail(perm("5.3.5", "listen address " + spec + ": " + ec.message()));
    return tcp::endpoint(addr, static_cast<unsigned short>(p));
}

std::string endpoint_text(const tcp::endpoint& e) {
    return e.address().to_string() + ":" + std::to_string(e.port());
}

Status open_listener(tcp::acceptor& a, const std::string& spec) {
    auto endpoint = parse_listen(spec);
    if (!endpoint)
        return fail(endpoint.error());
    boost::system::error_code ec;
    a.open(endpoint->protocol(), ec);
    if (!ec)
        a.set_option(tcp::acceptor::reuse_address(true), ec);
    // ":25" (the v6 "any" address) also takes IPv4; a named v6 address only itself.
    if (!ec && endpoint->address().is_v6())
        a.set_option(asio::ip::v6_only(!endpoint->address().is_unspecified()), ec);
    if (!ec)
        a.bind(*endpoint, ec);
    if (!ec)
        a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return fail(temp("4.3.0", "unable to listen on " + spec + ": " + ec.message()));
    return {};
}

namespace {

// What systemd passed, read once (sd_listen_fds(3)).
struct Passed {
    std::vector<int> fds;
    std::vector<std::string> names; // LISTEN_FDNAMES, one per descriptor when given
};

const Passed& passed() {
    static const Passed p = [] {
        Passed out;
        const char* pid = std::getenv("LISTEN_PID");
        const char* count = std::getenv("LISTEN_FDS");
        const char* names = std::getenv("LISTEN_FDNAMES");
        // Meant for this process only: a parent's sockets are not ours.
        if (pid != nullptr && count != nullptr &&
            std::strtol(pid, nullptr, 10) == static_cast<long>(::getpid())) {
            const long n = std::strtol(count, nullptr, 10);
            for (long i = 0; i < n && i < 1024; ++i)
                out.fds.push_back(3 + static_cast<int>(i));
            std::string all = names != nullptr ? names : "";
            for (size_t pos = 0; names != nullptr && pos <= all.size();) {
                const size_t colon = std::min(all.find(':', pos), all.size());
                out.names.push_back(all.substr(pos, colon - pos));
                pos = colon + 1;
            }
        }
        ::unsetenv("LISTEN_PID");
        ::unsetenv("LISTEN_FDS");
        ::unsetenv("LISTEN_FDNAMES");
        return out;
    }();
    return p;
}

} // namespace

bool is_inherited_spec(const std::string& spec) {
    return spec == "systemd" || spec.starts_with("systemd:");
}

Result<std::vector<int>> inherited_listeners(const std::string& spec) {
    const std::string name = spec.size() > 8 ? spec.substr(8) : std::string();
    const Passed& p = passed();
    std::vector<int> out;
    for (size_t i = 0; i < p.fds.size(); ++i) {
        if (!name.empty() && (i >= p.names.size() || p.names[i] != name))
            continue;
        const int fd = p.fds[i];
        int type = 0;
        int listening = 0;
        socklen_t len = sizeof type;
        sockaddr_storage addr{};
        socklen_t alen = sizeof addr;
        if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
            (len = sizeof listening,
             ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0) ||
            listening == 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0 ||
            (addr.ss_family != AF_INET && addr.ss_family != AF_INET6))
            return fail(perm("5.3.5", "descriptor " + std::to_string(fd) + " from systemd (" +
                                          spec + ") is not a listening TCP socket"));
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        out.push_back(fd);
    }
    if (out.empty())
        return fail(perm("5.3.5", p.fds.empty() ? "--listen " + spec + ": systemd passed no sockets"
                                                : "--listen " + spec +
                                                      ": no socket from systemd is named " + name));
    return out;
}

Status adopt_listener(tcp::acceptor& a, int fd) {
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0)
        return fail(
            temp("4.3.0", "unable to read the address of descriptor " + std::to_string(fd)));
    boost::system::error_code ec;
    a.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
    if (ec)
        return fail(
            temp("4.3.0", "unable to take descriptor " + std::to_string(fd) + ": " + ec.message()));
    return {};
}

} // namespace qm::server

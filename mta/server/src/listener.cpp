#include "qm/server/listener.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>

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

} // namespace qm::server

#include "qm/server/daemon_core.hpp"

#include "qm/become.hpp"

#include <boost/asio/ip/address.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>

namespace qm::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> handle_signals(DaemonCore& core, asio::signal_set& signals) {
    for (;;) {
        auto [ec, sig] = co_await signals.async_wait(use_tuple);
        if (ec)
            co_return;
        core.stop();
        if (core.active == 0) {
            signals.cancel();
            co_return;
        }
    }
}

} // namespace

void DaemonCore::status() const {
    log::line("status: " + std::to_string(active) + "/" + std::to_string(max_connections));
}

void DaemonCore::finish(tcp::socket& sock) {
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
    --active;
    status();
    if (stopping && active == 0 && signals != nullptr)
        signals->cancel(); // the last session after SIGTERM: let the loop end
}

void DaemonCore::stop() {
    if (stopping) {
        for (auto* sock : sockets) {
            boost::system::error_code ignored;
            sock->cancel(ignored);
            sock->close(ignored);
        }
        for (const pid_t pid : session_processes)
            ::kill(-pid, SIGTERM); // its group: the programs it runs go too
        return;
    }
    stopping = true;
    log::line("status: exiting: no new connections; waiting for open sessions");
    for (auto& a : acceptors) {
        boost::system::error_code ignored;
        a.close(ignored);
    }
}

void DaemonCore::run() {
    asio::signal_set sigs(io, SIGTERM, SIGINT);
    signals = &sigs;
    asio::co_spawn(io, handle_signals(*this, sigs), asio::detached);
    io.run();
    signals = nullptr;
    blocking_pool.join();
}

IpSlot::~IpSlot() {
    if (core_ != nullptr)
        core_->release(key_);
}

std::optional<IpSlot> DaemonCore::admit(const std::string& remote_ip, unsigned limit) {
    std::string key = ip_key(remote_ip);
    unsigned& n = per_ip[key];
    if (n >= (limit != 0 ? limit : max_per_ip)) {
        if (n == 0)
            per_ip.erase(key);
        return std::nullopt;
    }
    ++n;
    return IpSlot(*this, std::move(key));
}

void DaemonCore::release(const std::string& key) {
    auto it = per_ip.find(key);
    if (it != per_ip.end() && --it->second == 0)
        per_ip.erase(it); // an address with no session costs no memory
}

std::string ip_key(const std::string& remote_ip) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(remote_ip, ec);
    if (ec || a.is_v4())
        return remote_ip;
    auto v6 = a.to_v6();
    if (v6.is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return asio::ip::address_v6(bytes).to_string() + "/64";
}

unsigned rule_per_ip_limit(const std::vector<std::pair<std::string, std::string>>& env) {
    for (const auto& [name, value] : env) {
        if (name != "MAXCONNIP")
            continue;
        unsigned n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec == std::errc() && end == value.data() + value.size())
            return n;
        log::warning("ignoring MAXCONNIP=" + log::safe_text(value) + ": not a number");
    }
    return 0;
}

bool running_as_root() {
    return ::getuid() == 0 || ::geteuid() == 0;
}

Status drop_root(const std::string& user) {
    if (!running_as_root())
        return {};
    if (auto s = become_user(user); !s)
        return fail(temp("4.3.0", "started as root: " + s.error().text + " (--user)"));
    log::line("status: running as " + user + " (uid " + std::to_string(::getuid()) + ", gid " +
              std::to_string(::getgid()) + ")");
    return {};
}

Connection connection_of(const tcp::socket& sock) {
    boost::system::error_code ec;
    Connection conn;
    conn.remote_ip = sock.remote_endpoint(ec).address().to_string();
    conn.local_ip = sock.local_endpoint(ec).address().to_string();
    conn.local_host = conn.local_ip;
    return conn;
}

} // namespace qm::server

#include "qm/smtp/daemon_core.hpp"

#include <csignal>

namespace qm::smtp {

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
    queue_pool.join();
}

Connection connection_of(const tcp::socket& sock) {
    boost::system::error_code ec;
    Connection conn;
    conn.remote_ip = sock.remote_endpoint(ec).address().to_string();
    conn.local_ip = sock.local_endpoint(ec).address().to_string();
    conn.local_host = conn.local_ip;
    return conn;
}

} // namespace qm::smtp

#include "qm/qmtp/qmqp_client.hpp"

#include "qm/fd.hpp"
#include "qm/netstring.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>

namespace qm::qmtp {

Result<QmqpServer> parse_qmqp_server(std::string_view line) {
    QmqpServer s;
    std::string_view host = line;
    std::optional<std::string_view> port;
    if (line.starts_with('[')) {
        const auto close = line.find(']');
        if (close == std::string_view::npos)
            return fail(perm("5.3.5", "qmqpservers: unbalanced [ in " + std::string(line)));
        host = line.substr(1, close - 1);
        const std::string_view tail = line.substr(close + 1);
        if (!tail.empty()) {
            if (!tail.starts_with(':'))
                return fail(perm("5.3.5", "qmqpservers: junk after ] in " + std::string(line)));
            port = tail.substr(1);
        }
    } else if (std::ranges::count(line, ':') == 1) {
        // One colon: an IPv4 address and a port. More: a bare IPv6 address.
        const auto colon = line.find(':');
        host = line.substr(0, colon);
        port = line.substr(colon + 1);
    }
    if (port) {
        unsigned p = 0;
        auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), p);
        if (port->empty() || ec != std::errc() || end != port->data() + port->size() || p == 0 ||
            p > 65535)
            return fail(perm("5.3.5", "qmqpservers: bad port in " + std::string(line)));
        s.port = static_cast<std::uint16_t>(p);
    }
    addrinfo hints{};
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string h(host);
    if (h.empty() || ::getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0)
        return fail(perm("5.3.5", "qmqpservers: not an IP address: " + std::string(line)));
    ::freeaddrinfo(res);
    s.address = h;
    return s;
}

QmqpRequest qmqp_request(size_t message_length, const Envelope& env) {
    QmqpRequest r;
    r.after = netstring::encode(env.sender);
    for (const auto& rcpt : env.recipients)
        r.after += netstring::encode(rcpt);
    const std::string message_head = std::to_string(message_length) + ":";
    const size_t inner = message_head.size() + message_length + 1 + r.after.size();
    r.before = std::to_string(inner) + ":" + message_head;
    r.after = "," + r.after + ",";
    return r;
}

namespace {

enum class Connect { ok, refused, timeout };

// Waits for fd to be ready for events; false on timeout or error.
bool wait_fd(int fd, short events, int seconds) {
    pollfd p{fd, events, 0};
    for (;;) {
        const int r = ::poll(&p, 1, seconds * 1000);
        if (r < 0 && errno == EINTR)
            continue;
        return r > 0;
    }
}

Connect connect_to(const QmqpServer& s, int seconds, UniqueFd& out) {
    addrinfo hints{};
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(s.port);
    if (::getaddrinfo(s.address.c_str(), port.c_str(), &hints, &res) != 0)
        return Connect::refused;
    UniqueFd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int rc = fd ? ::connect(fd.get(), res->ai_addr, res->ai_addrlen) : -1;
    const int err = rc == 0 ? 0 : errno;
    ::freeaddrinfo(res);
    if (!fd || (rc != 0 && err != EINPROGRESS))
        return Connect::refused;
    if (rc != 0) {
        if (!wait_fd(fd.get(), POLLOUT, seconds))
            return Connect::timeout;
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0)
            return soerr == ETIMEDOUT ? Connect::timeout : Connect::refused;
    }
    out = std::move(fd);
    return Connect::ok;
}

bool send_all(int fd, std::string_view data, int seconds) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLOUT, seconds))
            continue;
        return false;
    }
    return true;
}

// Reads the one response netstring.
Result<QmqpReply> read_reply(int fd, int seconds) {
    std::string got;
    char buf[1024];
    for (;;) {
        auto d = netstring::decode(got, 4096);
        if (!d)
            return fail(temp("4.4.2", "bad response: " + d.error().text));
        if (*d) {
            const std::string_view payload = (*d)->payload;
            if (payload.empty() || std::string_view("KZD").find(payload[0]) == payload.npos)
                return fail(temp("4.4.2", "response is not K, Z or D"));
            return QmqpReply{payload[0], std::string(payload.substr(1))};
        }
        if (!wait_fd(fd, POLLIN, seconds))
            return fail(temp("4.4.2", "timeout waiting for the response"));
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return fail(temp("4.4.2", "connection closed before the response"));
        got.append(buf, static_cast<size_t>(n));
    }
}

std::string server_text(const QmqpServer& s) {
    const bool v6 = s.address.find(':') != std::string::npos;
    return (v6 ? "[" + s.address + "]" : s.address) + ":" + std::to_string(s.port);
}

} // namespace

QmqpOutcome qmqp_send(const std::vector<QmqpServer>& servers, std::string_view message,
                      const Envelope& env, const QmqpTimeouts& timeouts) {
    QmqpOutcome outcome{QueueExit::config_error, "no QMQP servers in control/qmqpservers"};
    const QmqpRequest request = qmqp_request(message.size(), env);
    for (const auto& s : servers) {
        UniqueFd fd;
        switch (connect_to(s, timeouts.connect_seconds, fd)) {
        case Connect::refused:
            outcome = {QueueExit::connect_refused, server_text(s) + ": connection refused"};
            continue;
        case Connect::timeout:
            outcome = {QueueExit::connect_timeout, server_text(s) + ": connection timed out"};
            continue;
        case Connect::ok:
            break;
        }
        if (!send_all(fd.get(), request.before, timeouts.io_seconds) ||
            !send_all(fd.get(), message, timeouts.io_seconds) ||
            !send_all(fd.get(), request.after, timeouts.io_seconds))
            return {QueueExit::communication_failed, server_text(s) + ": unable to send"};
        auto reply = read_reply(fd.get(), timeouts.io_seconds);
        if (!reply)
            return {QueueExit::communication_failed, server_text(s) + ": " + reply.error().text};
        const std::string said = server_text(s) + " said: " + reply->code + reply->text;
        switch (reply->code) {
        case 'K':
            return {QueueExit::ok, said};
        case 'D':
            return {QueueExit::refused_permanently, said};
        default:
            return {QueueExit::refused_temporarily, said};
        }
    }
    return outcome;
}

std::expected<Envelope, EnvelopeError> read_envelope(int fd) {
    std::string got;
    char buf[4096];
    size_t field = 0; // start of the field being read
    for (;;) {
        // Complete once a field is empty: the NUL that ends the envelope.
        for (;;) {
            const auto nul = got.find('\0', field);
            if (nul == std::string::npos)
                break;
            if (nul == field && field != 0)
                return decode_envelope(std::string_view(got).substr(0, nul + 1));
            field = nul + 1;
        }
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return std::unexpected(EnvelopeError{QueueExit::read_error, "unable to read envelope"});
        if (n == 0)
            return std::unexpected(EnvelopeError{QueueExit::envelope_format, "truncated envelope"});
        got.append(buf, static_cast<size_t>(n));
    }
}

} // namespace qm::qmtp

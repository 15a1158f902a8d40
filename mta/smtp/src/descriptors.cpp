#include "qm/smtp/descriptors.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"
#include "qm/smtp/tls.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>

namespace qm::smtp {

namespace {

// The client's side of the session: plain bytes, or TLS records once STARTTLS is done.
class Wire {
public:
    Wire(int in_fd, int out_fd)
        : in_(in_fd)
        , out_(out_fd) {}

    enum class Got : std::uint8_t { data, tls_ready, timeout, gone };

    // Writes replies (encrypted under TLS); false when the client is gone.
    bool write(std::string& plain) {
        if (!tls_) {
            const bool ok = plain.empty() || write_all(out_, plain).has_value();
            plain.clear();
            return ok;
        }
        const bool ok = plain.empty() || tls_->send(plain);
        plain.clear();
        return ok && flush_tls();
    }

    // Waits up to timeout_seconds for the client and puts what it sent in plain. Under
    // TLS a read may hold only part of a record or of the handshake; it waits on then.
    // tls_ready: the handshake just finished (plain may already hold a command).
    Got read(int timeout_seconds, std::string& plain) {
        char buf[65536];
        for (;;) {
            pollfd p{in_, POLLIN, 0};
            const int ready = ::poll(&p, 1, timeout_seconds * 1000);
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready == 0)
                return Got::timeout;
            const ssize_t n = ::read(in_, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return Got::gone;
            const std::string_view bytes(buf, static_cast<size_t>(n));
            if (!tls_) {
                plain.assign(bytes);
                return Got::data;
            }
            const bool was_handshaking = !tls_->handshake_done();
            const bool alive = tls_->receive(bytes, plain);
            if (!flush_tls() || !alive) {
                if (!tls_->error().empty())
                    log::line(std::string(was_handshaking ? "tls failed: " : "tls error: ") +
                              log::safe_text(tls_->error()));
                return Got::gone;
            }
            if (was_handshaking && tls_->handshake_done())
                return Got::tls_ready;
            if (!plain.empty())
                return Got::data;
        }
    }

    void start_tls(boost::asio::ssl::context& context) {
        tls_ = std::make_unique<BufferedTls>(context);
    }
    [[nodiscard]] bool handshaking() const { return tls_ && !tls_->handshake_done(); }

    // Ends TLS with close_notify, so the client knows the session was not cut short.
    void close() {
        if (tls_ && tls_->handshake_done()) {
            tls_->close();
            (void)flush_tls();
        }
    }

private:
    bool flush_tls() {
        const std::string records = tls_->take_output();
        return records.empty() || write_all(out_, records).has_value();
    }

    int in_, out_;
    std::unique_ptr<BufferedTls> tls_;
};

} // namespace

void serve_descriptors(Session& session, int in_fd, int out_fd, boost::asio::ssl::context* tls) {
    Wire wire(in_fd, out_fd);
    std::string greeting = session.greeting();
    if (!wire.write(greeting))
        return;
    std::string got;
    for (;;) {
        if (!wire.write(session.output()) || session.closed()) {
            session.abort();
            wire.close();
            return;
        }
        got.clear();
        switch (wire.read(session.timeout_seconds(), got)) {
        case Wire::Got::timeout:
            if (!wire.handshaking()) { // mid-handshake the client could not read a reply
                std::string reply = Session::timeout_reply();
                (void)wire.write(reply);
                wire.close();
            }
            session.abort();
            return;
        case Wire::Got::gone:
            session.abort(); // nothing half-received is queued
            return;
        case Wire::Got::tls_ready:
            session.tls_started();
            break;
        case Wire::Got::data:
            break;
        }
        auto step = session.receive(got);
        while (step == Session::Step::blocking) {
            session.run_blocking();
            step = session.receive({});
        }
        if (step == Session::Step::starttls) {
            // "220 ready" goes out in the clear; the client's next bytes are the handshake.
            if (tls == nullptr || !wire.write(session.output())) {
                session.abort();
                return;
            }
            wire.start_tls(*tls);
        }
    }
}

} // namespace qm::smtp

#include "qm/smtp/descriptors.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"
#include "qm/smtp/tls.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>

namespace qm::smtp {

namespace {

using clock = std::chrono::steady_clock;

// During DATA no reply comes until the end: this many bytes count as progress, so a big
// message may take as long as it needs at any rate above progress_bytes per timeout (as
// in the --listen daemon).
constexpr size_t progress_bytes = 65536;

// The client's side of the session: plain bytes, or TLS records once STARTTLS is done.
class Wire {
public:
    Wire(int in_fd, int out_fd)
        : in_(in_fd)
        , out_(out_fd) {}

    enum class Got : std::uint8_t { data, tls_ready, timeout, gone };

    // Writes replies (encrypted under TLS) by the deadline; false when the client is
    // gone or has not taken them in time (logged: a client that never reads).
    bool write(std::string& plain, clock::time_point deadline) {
        if (plain.empty())
            return true;
        bool ok = true;
        if (!tls_)
            ok = send(plain, deadline);
        else
            ok = tls_->send(plain) && flush_tls(deadline);
        plain.clear();
        return ok;
    }

    // Waits until deadline for the client and puts what it sent in plain. Under TLS a
    // read may hold only part of a record or of the handshake; it waits on then, to the
    // same deadline. tls_ready: the handshake just finished (plain may hold a command).
    Got read(clock::time_point deadline, std::string& plain) {
        char buf[65536];
        for (;;) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
            pollfd p{in_, POLLIN, 0};
            const int ready = left.count() <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left.count()));
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
            if (!flush_tls(deadline) || !alive) {
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

    // Whether the client sends anything (or leaves) within seconds, before any greeting.
    bool talks_within(int seconds) {
        const auto deadline = clock::now() + std::chrono::seconds(seconds);
        for (;;) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0)
                return false;
            pollfd p{in_, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR)
                continue;
            return ready != 0;
        }
    }

    void start_tls(boost::asio::ssl::context& context) {
        tls_ = std::make_unique<BufferedTls>(context);
    }
    [[nodiscard]] bool handshaking() const { return tls_ && !tls_->handshake_done(); }

    // Ends TLS with close_notify, so the client knows the session was not cut short.
    void close(clock::time_point deadline) {
        if (tls_ && tls_->handshake_done()) {
            tls_->close();
            (void)flush_tls(deadline);
        }
    }

private:
    bool flush_tls(clock::time_point deadline) {
        const std::string records = tls_->take_output();
        return records.empty() || send(records, deadline);
    }

    bool send(std::string_view bytes, clock::time_point deadline) {
        auto sent = write_all_by(out_, bytes, deadline);
        if (!sent && sent.error().text == write_timeout_text)
            log::line(std::string(write_timeout_text));
        return sent.has_value();
    }

    int in_, out_;
    std::unique_ptr<BufferedTls> tls_;
};

} // namespace

int serve_descriptors(Session& session, int in_fd, int out_fd, boost::asio::ssl::context* tls) {
    Wire wire(in_fd, out_fd);
    const auto timeout = std::chrono::seconds(session.timeout_seconds());
    // The read deadline moves only when the client makes progress: a reply was earned
    // (a whole command, the end of DATA) or a DATA-sized stretch of bytes arrived. A
    // byte now and then does not move it, so dribbling cannot hold the session; every
    // write is bounded by one timeout, so neither can a client that never reads.
    auto deadline = clock::now() + timeout;
    size_t bytes_since_progress = 0;
    auto reply = [&](std::string& text) {
        if (text.empty())
            return true;
        if (!wire.write(text, clock::now() + timeout))
            return false;
        deadline = clock::now() + timeout;
        bytes_since_progress = 0;
        return true;
    };
    if (const int delay = session.greet_delay_seconds(); delay > 0 && wire.talks_within(delay)) {
        log::line("early talker");
        std::string refusal = early_talker_reply();
        (void)wire.write(refusal, clock::now() + timeout);
        session.abort();
        return 1;
    }
    std::string greeting = session.greeting();
    if (!reply(greeting))
        return 1;
    std::string got;
    for (;;) {
        if (!reply(session.output()) || session.closed()) {
            const bool said_bye = session.quit_answered();
            session.abort();
            wire.close(clock::now() + timeout);
            return said_bye ? 0 : 1;
        }
        got.clear();
        const auto read = wire.read(deadline, got);
        bytes_since_progress += got.size();
        if (bytes_since_progress >= progress_bytes) {
            deadline = clock::now() + timeout;
            bytes_since_progress = 0;
        }
        switch (read) {
        case Wire::Got::timeout:
            if (!wire.handshaking()) { // mid-handshake the client could not read a reply
                std::string bye = Session::timeout_reply();
                (void)wire.write(bye, clock::now() + timeout);
                wire.close(clock::now() + timeout);
            }
            session.abort();
            return 1;
        case Wire::Got::gone:
            session.abort(); // nothing half-received is queued
            return 1;
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
            // "220 ready" goes out in the clear; the client's next bytes are the handshake,
            // which must be done within one timeout.
            if (tls == nullptr || !reply(session.output())) {
                session.abort();
                return 1;
            }
            wire.start_tls(*tls);
        }
    }
}

} // namespace qm::smtp

#include "qm/smtp/descriptor_wire.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace qm::smtp {

bool DescriptorWire::write(std::string& plain, clock::time_point deadline) {
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

DescriptorWire::Got DescriptorWire::read(clock::time_point deadline, std::string& plain,
                                         size_t max_bytes) {
    char buf[65536];
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        pollfd p{in_, POLLIN, 0};
        const int ready = left.count() <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return Got::timeout;
        // Under TLS everything that came is read: records are not cut at a line.
        const size_t want = tls_ ? sizeof buf : std::clamp<size_t>(max_bytes, 1, sizeof buf);
        const ssize_t n = ::read(in_, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return Got::gone;
        const std::string_view bytes(buf, static_cast<size_t>(n));
        if (!tls_) {
            plain.append(bytes);
            return Got::data;
        }
        const bool was_handshaking = !tls_->handshake_done();
        const size_t before = plain.size();
        const bool alive = tls_->receive(bytes, plain);
        if (!flush_tls(deadline) || !alive) {
            if (!tls_->error().empty())
                log::line(std::string(was_handshaking ? "tls failed: " : "tls error: ") +
                          log::safe_text(tls_->error()));
            return Got::gone;
        }
        if (was_handshaking && tls_->handshake_done())
            return Got::tls_ready;
        if (plain.size() > before)
            return Got::data;
    }
}

bool DescriptorWire::talks_within(int seconds) {
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

void DescriptorWire::start_tls(boost::asio::ssl::context& context) {
    tls_ = std::make_unique<BufferedTls>(context);
}

void DescriptorWire::close(clock::time_point deadline) {
    if (tls_ && tls_->handshake_done()) {
        tls_->close();
        (void)flush_tls(deadline);
    }
}

bool DescriptorWire::flush_tls(clock::time_point deadline) {
    const std::string records = tls_->take_output();
    return records.empty() || send(records, deadline);
}

bool DescriptorWire::send(std::string_view bytes, clock::time_point deadline) {
    auto sent = write_all_by(out_, bytes, deadline);
    if (!sent && sent.error().text == write_timeout_text)
        log::line(std::string(write_timeout_text));
    return sent.has_value();
}

} // namespace qm::smtp

#include "qm/smtp/descriptors.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"
#include "qm/smtp/descriptor_wire.hpp"

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

} // namespace

int serve_descriptors(Session& session, int in_fd, int out_fd, boost::asio::ssl::context* tls) {
    DescriptorWire wire(in_fd, out_fd);
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
        case DescriptorWire::Got::timeout:
            if (!wire.handshaking()) { // mid-handshake the client could not read a reply
                std::string bye = Session::timeout_reply();
                (void)wire.write(bye, clock::now() + timeout);
                wire.close(clock::now() + timeout);
            }
            session.abort();
            return 1;
        case DescriptorWire::Got::gone:
            session.abort(); // nothing half-received is queued
            return 1;
        case DescriptorWire::Got::tls_ready:
            session.tls_started();
            break;
        case DescriptorWire::Got::data:
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

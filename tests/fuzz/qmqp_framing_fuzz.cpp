// Fuzzes the QMQP request parser. Properties: feeding the input in pieces gives exactly
// the events that feeding it whole gives; a kept address is the declared one or its first
// max_address bytes; and a complete request, framed again by qmqp_request (qmail-qmqpc's
// framing), parses to the same message and envelope.
#include "fuzz_framing.hpp"
#include "qm/qmtp/framing.hpp"
#include "qm/qmtp/qmqp_client.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using qm::qmtp::Event;

namespace {

struct Run {
    std::string message;
    qm::Envelope env;
    std::string trace;
    std::string trace_at_end; // the trace up to the end of the request
    bool ended = false;
    bool error = false;
    bool whole_addresses = true;
};

Run parse(std::string_view in, size_t piece) {
    qm::qmtp::QmqpParser p(1 << 20);
    Run r;
    fuzz::feed_in_pieces(p, in, piece, [&](Event e) {
        switch (e) {
        case Event::message_begin:
            QM_FUZZ_CHECK(r.trace.empty());
            r.trace += "B";
            break;
        case Event::message_data:
            r.message += p.data();
            QM_FUZZ_CHECK(r.message.size() <= p.message_length());
            break;
        case Event::message_end:
            r.trace += "M" + r.message;
            break;
        case Event::sender:
        case Event::recipient:
            fuzz::take_address(p, e, r.whole_addresses, r.env.sender, r.env.recipients, r.trace);
            break;
        case Event::end:
            QM_FUZZ_CHECK(!r.ended);
            r.ended = true;
            r.trace += "E";
            r.trace_at_end = r.trace;
            break;
        case Event::error:
            fuzz::take_error(p, r.trace);
            r.error = true;
            return false;
        case Event::more:
            break;
        }
        return true;
    });
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const auto input = fuzz::pieced_input(data, size);
    if (!input)
        return 0;
    const Run whole = parse(input->in, input->in.size() + 1);
    const Run split = parse(input->in, input->piece);
    QM_FUZZ_CHECK(whole.trace == split.trace);
    if (whole.ended && whole.whole_addresses) {
        const auto req = qm::qmtp::qmqp_request(whole.message.size(), whole.env);
        const Run again = parse(req.before + whole.message + req.after, 1 << 20);
        QM_FUZZ_CHECK(again.ended && !again.error);
        QM_FUZZ_CHECK(again.trace == whole.trace_at_end); // bytes after it are not framed again
    }
    return 0;
}

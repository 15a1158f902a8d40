// Fuzzes the QMTP package parser. Properties: feeding the input in pieces gives exactly
// the events that feeding it whole gives (no state lost between reads); stored message
// bytes never exceed the declared length; a kept address is the declared one or its
// first max_address bytes; and every complete package, framed again in LF encoding from
// what was parsed, parses to the same package.
#include "fuzz_framing.hpp"
#include "qm/netstring.hpp"
#include "qm/qmtp/framing.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using qm::qmtp::Event;

namespace {

struct Package {
    std::string message;
    std::string sender;
    std::vector<std::string> rcpts;
    bool whole_addresses = true;
    bool operator==(const Package&) const = default;
};

struct Run {
    std::vector<Package> packages;
    std::string trace; // the events, message data joined
    bool error = false;
};

Run parse(std::string_view in, size_t piece) {
    qm::qmtp::QmtpParser p(1 << 20);
    Run r;
    Package cur;
    std::uint64_t declared = 0;
    fuzz::feed_in_pieces(p, in, piece, [&](Event e) {
        switch (e) {
        case Event::message_begin:
            declared = p.message_length();
            cur = {};
            r.trace += "B";
            break;
        case Event::message_data:
            QM_FUZZ_CHECK(!p.data().empty());
            cur.message += p.data();
            QM_FUZZ_CHECK(cur.message.size() < declared);
            break;
        case Event::message_end:
            r.trace += "M" + cur.message;
            break;
        case Event::sender:
        case Event::recipient:
            fuzz::take_address(p, e, cur.whole_addresses, cur.sender, cur.rcpts, r.trace);
            break;
        case Event::end:
            r.trace += "E";
            r.packages.push_back(cur);
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

std::string frame(const Package& pkg) {
    std::string list;
    for (const auto& r : pkg.rcpts)
        list += qm::netstring::encode(r);
    return qm::netstring::encode("\n" + pkg.message) + qm::netstring::encode(pkg.sender) +
           qm::netstring::encode(list);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const auto input = fuzz::pieced_input(data, size);
    if (!input)
        return 0;
    const Run whole = parse(input->in, input->in.size() + 1);
    const Run split = parse(input->in, input->piece);
    QM_FUZZ_CHECK(whole.trace == split.trace);
    QM_FUZZ_CHECK(whole.packages == split.packages);
    for (const auto& pkg : whole.packages) {
        if (!pkg.whole_addresses)
            continue;
        const Run again = parse(frame(pkg), 1 << 20);
        QM_FUZZ_CHECK(!again.error);
        QM_FUZZ_CHECK(again.packages.size() == 1);
        QM_FUZZ_CHECK(again.packages[0] == pkg);
    }
    return 0;
}

// What the QMTP and QMQP parser fuzz targets share: the loop that feeds a parser and the
// check of an address it reports.
#pragma once

#include "fuzz_pieces.hpp"
#include "qm/qmtp/framing.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

// Feeds in to parser at most piece bytes at a time and hands every event but more to
// on_event until the input is used up or on_event returns false (after an error).
template <class Parser, class OnEvent>
void feed_in_pieces(Parser& parser, std::string_view in, size_t piece, OnEvent on_event) {
    size_t pos = 0;
    for (;;) {
        size_t used = 0;
        const qm::qmtp::Event e = parser.feed(in.substr(pos, piece), used);
        QM_FUZZ_CHECK(used <= in.size() - pos);
        pos += used;
        if (e == qm::qmtp::Event::more) {
            if (pos >= in.size())
                return;
            continue;
        }
        if (!on_event(e))
            return;
    }
}

// The address just reported, checked to be the declared one or its first max_address
// bytes; whole turns false when it was not kept whole.
template <class Parser>
std::string checked_address(const Parser& parser, bool& whole) {
    std::string a(parser.address());
    QM_FUZZ_CHECK(a.size() == std::min(parser.address_length(), qm::qmtp::max_address));
    if (parser.address_length() >= qm::qmtp::max_address)
        whole = false;
    return a;
}

// A sender or recipient event: the checked address becomes the sender or the next
// recipient and goes into the trace ("S" or "R", the address, a newline).
template <class Parser>
void take_address(const Parser& parser, qm::qmtp::Event e, bool& whole, std::string& sender,
                  std::vector<std::string>& recipients, std::string& trace) {
    const std::string a = checked_address(parser, whole);
    (e == qm::qmtp::Event::sender ? sender : recipients.emplace_back()) = a;
    trace += (e == qm::qmtp::Event::sender ? "S" : "R") + a + "\n";
}

// An error event: the parser says why, and the trace ends with it.
template <class Parser>
void take_error(const Parser& parser, std::string& trace) {
    QM_FUZZ_CHECK(!parser.error().empty());
    trace += "X" + parser.error();
}

} // namespace fuzz

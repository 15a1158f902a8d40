// Fuzzes qm::netstring::decode (QMTP/QMQP input from the network): a decoded netstring
// re-encodes to exactly the bytes consumed, every proper prefix of one is "need more
// input" and never an error, an error stays an error whatever follows, "need more input"
// can always be completed, and encode/decode round-trips any payload.
#include "fuzz_check.hpp"
#include "qm/netstring.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr size_t max_len = 1 << 20;

bool incomplete(std::string_view s) {
    auto r = qm::netstring::decode(s, max_len);
    return r && !*r;
}

// Fills in what a "need more input" answer is waiting for: the colon, the payload bytes
// the length announces, and the comma.
std::string complete(std::string s) {
    auto colon = s.find(':');
    if (colon == std::string::npos) {
        if (s.empty())
            s = "0";
        s += ':';
        colon = s.size() - 1;
    }
    size_t len = 0;
    for (size_t i = 0; i < colon; ++i)
        len = len * 10 + static_cast<size_t>(s[i] - '0');
    if (s.size() < colon + 1 + len)
        s.append(colon + 1 + len - s.size(), 'x');
    s += ',';
    return s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    auto r = qm::netstring::decode(in, max_len);
    if (!r) {
        QM_FUZZ_CHECK(r.error().permanent());
        QM_FUZZ_CHECK(!qm::netstring::decode(std::string(in) + "0:,", max_len));
    } else if (*r) {
        const auto& d = **r;
        QM_FUZZ_CHECK(d.consumed <= in.size());
        QM_FUZZ_CHECK(d.payload.size() <= max_len);
        QM_FUZZ_CHECK(qm::netstring::encode(d.payload) == in.substr(0, d.consumed));
        const size_t digits = in.find(':');
        for (size_t cut : {size_t{0}, digits, digits + 1, d.consumed / 2, d.consumed - 1})
            if (cut < d.consumed)
                QM_FUZZ_CHECK(incomplete(in.substr(0, cut)));
    } else {
        auto done = complete(std::string(in));
        auto c = qm::netstring::decode(done, max_len);
        QM_FUZZ_CHECK(c && *c && (*c)->consumed == done.size());
    }

    const std::string enc = qm::netstring::encode(in);
    const std::string followed = enc + std::string(in);
    auto back = qm::netstring::decode(followed);
    QM_FUZZ_CHECK(back && *back);
    QM_FUZZ_CHECK((*back)->payload == in);
    QM_FUZZ_CHECK((*back)->consumed == enc.size());
    return 0;
}

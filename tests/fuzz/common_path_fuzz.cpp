// Fuzzes qm::address::parse_path, which reads MAIL FROM / RCPT TO paths straight off
// the network: whatever it accepts must be safe to write into a queue envelope (no NUL,
// CR or LF), and an address re-quoted with qm::address::quote must parse back to itself.
#include "fuzz_check.hpp"
#include "qm/address.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    auto r = qm::address::parse_path(in);
    if (!r) {
        QM_FUZZ_CHECK(r.error().permanent());
        return 0;
    }
    const std::string& addr = r->address;
    QM_FUZZ_CHECK(addr.size() <= in.size());
    QM_FUZZ_CHECK(addr.find_first_of(std::string_view("\0\r\n", 3)) == std::string::npos);

    // quote() only protects the local part; a domain holding '>', '"' or '\' has no
    // quoted form to round-trip through.
    const std::string domain = qm::address::split(addr).domain;
    if (domain.find_first_of(">\"\\") == std::string::npos) {
        const std::string quoted = qm::address::quote(addr);
        auto again = qm::address::parse_path("<" + quoted + ">");
        QM_FUZZ_CHECK(again);
        QM_FUZZ_CHECK(again->address == addr);
        QM_FUZZ_CHECK(again->params.empty());
    }
    return 0;
}

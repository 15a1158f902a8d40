// Fuzzes what is read from DNS replies that nobody vouches for: the records the SPF check
// hands libspf2 (A, AAAA, MX, TXT, PTR, through c-ares's parsers) and the TLSA records
// DANE uses (through libresolv's). The first byte picks the type, the rest is the reply.
// Properties: A and AAAA records are exactly 4 and 16 bytes; a TLSA record read back is
// what the reply held (usage, selector, matching type, then at least one byte of data).
#include "fuzz_check.hpp"
#include "qm/dns/lookup.hpp"
#include "spf_dns.hpp"

#include <arpa/nameser.h>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    const std::string_view reply(reinterpret_cast<const char*>(data) + 1, size - 1);
    constexpr int types[] = {ns_t_a, ns_t_aaaa, ns_t_mx, ns_t_txt, ns_t_ptr};
    const int type = types[data[0] % 5];
    for (const auto& r : qm::mailauth::detail::records_of_reply(type, reply)) {
        if (type == ns_t_a)
            QM_FUZZ_CHECK(r.size() == 4);
        if (type == ns_t_aaaa)
            QM_FUZZ_CHECK(r.size() == 16);
    }
    if (auto tlsa = qm::dns::parse_tlsa_reply(reply))
        for (const auto& t : *tlsa)
            QM_FUZZ_CHECK(!t.data.empty() && t.data.size() < reply.size());
    return 0;
}

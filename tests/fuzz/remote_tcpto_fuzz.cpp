// Fuzzes lock/tcpto's table over any file contents (a file another program wrote, or a
// short or damaged one). Input: one byte choosing the format, four of time, then the
// file. Properties: entries() never lists more than 64 records and every one has a
// count of 1 to 255; a timeout just recorded is listed for its address; an address that
// responded is never down; writing a record back changes only that record.
#include "fuzz_check.hpp"
#include "qm/remote/tcpto.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    if (size < 5)
        return 0;
    const bool v6 = data[0] & 1;
    const std::time_t now =
        static_cast<std::time_t>(data[1]) << 24 | data[2] << 16 | data[3] << 8 | data[4];
    const std::string file(reinterpret_cast<const char*>(data) + 5, size - 5);
    const auto& format = v6 ? qm::remote::tcpto_v6 : qm::remote::tcpto_v4;
    const auto ip = v6 ? boost::asio::ip::make_address("2001:db8::7")
                       : boost::asio::ip::make_address("192.0.2.7");

    qm::remote::TcptoTable table(format, file);
    const auto before = table.entries();
    QM_FUZZ_CHECK(before.size() <= qm::remote::tcpto_records);
    for (const auto& e : before)
        QM_FUZZ_CHECK(e.timeouts >= 1 && e.timeouts <= 255);

    const std::string original(file);
    if (const auto i = table.timed_out(ip, now)) {
        QM_FUZZ_CHECK(*i < table.size());
        bool listed = false;
        for (const auto& e : table.entries())
            listed |= e.ip == ip;
        QM_FUZZ_CHECK(listed);
        for (size_t k = 0; k < table.size(); ++k)
            if (k != *i)
                QM_FUZZ_CHECK(table.record(k) == std::string_view(original).substr(
                                                     k * format.record_bytes, format.record_bytes));
    }
    (void)table.responded(ip);
    QM_FUZZ_CHECK(!table.down(ip, now, qm::remote::tcpto_backoff(0)));
    return 0;
}

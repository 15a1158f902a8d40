// Fuzzes what crosses the privilege boundaries of root mode: the spawn protocol as
// qmail-lspawn and qmail-rspawn read requests (take_request) and as qmail-send reads their
// replies (take_reply), and qmail-remote's report as qmail-rspawn reads it (decode, then
// fold). The first byte picks the recipient count for decode. Any input gives an answer:
// a request taken re-encodes to one that reads back the same; a reply is consumed whole; a
// decoded report has one verdict per recipient, whatever the program printed.
#include "fuzz_check.hpp"
#include "qm/remote/client.hpp"
#include "qm/send/spawn_protocol.hpp"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    namespace spawn = qm::send::spawn;
    if (size == 0)
        return 0;
    const size_t recipients = 1 + data[0] % 120u;
    const std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);

    std::string buf = in;
    for (int i = 0; i < 64; ++i) {
        const size_t before = buf.size();
        auto r = spawn::take_request(buf);
        if (!r) {
            QM_FUZZ_CHECK(r.error().permanent());
            break;
        }
        if (!*r)
            break;
        QM_FUZZ_CHECK(buf.size() < before);
        // Encoding is a normal form ("08" reads as 8): taken again, it gives the same request.
        std::string again = spawn::encode(**r);
        auto r2 = spawn::take_request(again);
        QM_FUZZ_CHECK(r2 && *r2 && again.empty());
        QM_FUZZ_CHECK((*r2)->kind == (*r)->kind && (*r2)->num == (*r)->num &&
                      (*r2)->fields == (*r)->fields);
        QM_FUZZ_CHECK((*r)->kind != 'R' || (*r)->replies() <= spawn::max_recipients);
    }

    buf = in;
    for (int i = 0; i < 64; ++i) {
        const size_t before = buf.size();
        auto r = spawn::take_reply(buf, "qmail-rspawn");
        QM_FUZZ_CHECK(buf.size() <= before);
        if (r && !*r)
            break;
        QM_FUZZ_CHECK(buf.size() < before); // a complete reply is consumed, good or bad
    }

    const qm::remote::Outcome o = qm::remote::decode(in, recipients);
    QM_FUZZ_CHECK(o.recipients.size() == recipients);
    QM_FUZZ_CHECK(qm::remote::fold(o).size() == recipients);
    return 0;
}

// Fuzzes the journal's reader (qmail-journal(5)): a segment's bytes as they are, and the
// same bytes behind a valid segment header (so that the fuzzer reaches the records), each
// record decoded and every message body decompressed. Properties: the good records end
// at valid_bytes, no problem means all after them is zero (the unused part), the records
// framed again are byte for byte what was read, and a decoded body is exactly the size
// its record states.
#include "fuzz_check.hpp"
#include "qm/journal/describe.hpp"
#include "qm/journal/records.hpp"
#include "qm/journal/segment.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace {

void check_scan(std::string_view bytes) {
    using namespace qm::journal;
    const SegmentScan scan = scan_segment_bytes(bytes, "fuzz");
    QM_FUZZ_CHECK(scan.valid_bytes <= bytes.size());
    if (!scan.problem) // the rest is the unused, zeroed part of the segment
        QM_FUZZ_CHECK(bytes.find_first_not_of('\0', scan.valid_bytes) == std::string_view::npos);
    if (scan.records.empty())
        return;
    std::string again;
    for (const auto& r : scan.records) {
        QM_FUZZ_CHECK(r.offset + record_header_size + r.payload.size() <= scan.valid_bytes);
        again += frame_record(r.type, r.payload);
        (void)describe_record(r, false);
        if (r.type == RecordType::message)
            if (auto head = decode_message_head(r.payload))
                if (auto body = decompress_body(*head))
                    QM_FUZZ_CHECK(body->size() == head->body_size);
    }
    QM_FUZZ_CHECK(again ==
                  bytes.substr(segment_header_size, scan.valid_bytes - segment_header_size));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    check_scan(in);
    // A real header before the input: what a valid segment with these records would be.
    static const std::string header = qm::journal::segment_header(1, 1'700'000'000);
    check_scan(header + std::string(in));
    return 0;
}

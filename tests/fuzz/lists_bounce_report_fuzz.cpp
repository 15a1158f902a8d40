// Fuzzes the list's reading of bounces: QSBMF paragraphs, RFC 3464 reports through
// mimetic, status codes in free text, and ezmlm-weed's header checks. Any input must
// give a report, never a crash; a QSBMF recipient's address is what its paragraph's
// first line names; every recipient's verdict is what classify_failure says for its
// fields; diagnostics are one line.
#include "fuzz_check.hpp"
#include "qm/lists/bounce/bounce_report.hpp"
#include "qm/lists/bounce/weed.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto report = qm::lists::parse_bounce(input);
    for (const auto& r : report.recipients) {
        QM_FUZZ_CHECK(r.diagnostic.find('\n') == std::string::npos);
        if (report.format == qm::lists::BounceFormat::qsbmf) {
            QM_FUZZ_CHECK(r.paragraph.starts_with("<" + r.address + ">:"));
            continue;
        }
        QM_FUZZ_CHECK(r.verdict == qm::lists::classify_failure(r.action, r.status, r.diagnostic));
    }
    const auto f = qm::lists::failure_for(report, "reader@far.example", input);
    QM_FUZZ_CHECK(f.diagnostic.find('\n') == std::string::npos);
    (void)qm::lists::weed(input);
    return 0;
}

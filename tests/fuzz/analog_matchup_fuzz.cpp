// Fuzzes matchup over arbitrary log lines. Properties: every line it writes ends in a
// newline; the pending state, read by a fresh matchup, gives back the same pending state
// and nothing else (so a log rotated at any point loses nothing, and gains nothing); the
// summaries take any of its output.
#include "fuzz_check.hpp"
#include "qm/analog/matchup.hpp"
#include "qm/analog/summary.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace {

void feed(qm::analog::Matchup& m, std::string_view text, std::string& out) {
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string_view::npos; start = nl + 1)
        m.line(text.substr(start, nl - start), out);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view log(reinterpret_cast<const char*>(data), size);
    qm::analog::Matchup first;
    std::string out;
    feed(first, log, out);
    QM_FUZZ_CHECK(out.empty() || out.ends_with('\n'));
    const std::string pending = first.pending();
    QM_FUZZ_CHECK(pending.empty() || pending.ends_with('\n'));
    qm::analog::Matchup second;
    std::string replayed;
    feed(second, pending, replayed);
    QM_FUZZ_CHECK(replayed.empty());
    QM_FUZZ_CHECK(second.pending() == pending);
    for (const auto report :
         {qm::analog::Report::overall, qm::analog::Report::failures, qm::analog::Report::deferrals,
          qm::analog::Report::recipients, qm::analog::Report::senders}) {
        qm::analog::Summary s(report);
        size_t start = 0;
        for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1)
            s.line(std::string_view(out).substr(start, nl - start));
        QM_FUZZ_CHECK(!s.report().empty());
    }
    return 0;
}

// Fuzzes the DATA decoder. Properties: feeding the input in pieces gives exactly what
// feeding it whole gives (no state lost between reads); and a message that ended, sent
// again the way an SMTP client sends it (LF as CRLF, lone CRs as they are, leading dots
// doubled), decodes to the same bytes: the decoder and the transparency rule agree; and
// no CR is stored in the header (a lone one there is a space, CR LF is LF), so no hop
// can split a header field in two.
#include "fuzz_pieces.hpp"
#include "qm/smtp/data_decoder.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using qm::smtp::DataDecoder;

namespace {

struct Run {
    DataDecoder::Outcome outcome = DataDecoder::Outcome::more;
    std::string stored;
    size_t used = 0;
    std::uint64_t bytes = 0;
    unsigned hops = 0;
};

Run decode(std::string_view in, size_t piece) {
    DataDecoder d;
    Run r;
    while (r.used < in.size()) {
        size_t used = 0;
        r.outcome = d.feed(in.substr(r.used, piece), r.stored, &used);
        r.used += used;
        if (r.outcome != DataDecoder::Outcome::more)
            break;
    }
    r.bytes = d.stored_bytes();
    r.hops = d.hops();
    return r;
}

std::string encode(std::string_view stored) {
    std::string out;
    bool line_start = true;
    for (char c : stored) {
        if (line_start && c == '.')
            out += '.';
        if (c == '\n') {
            out += "\r\n";
            line_start = true;
            continue;
        }
        out += c;
        line_start = false;
    }
    return out + ".\r\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const auto input = fuzz::pieced_input(data, size);
    if (!input)
        return 0;
    const Run whole = decode(input->in, input->in.size() + 1);
    const Run split = decode(input->in, input->piece);
    QM_FUZZ_CHECK(whole.outcome == split.outcome);
    QM_FUZZ_CHECK(whole.stored == split.stored);
    QM_FUZZ_CHECK(whole.used == split.used);
    QM_FUZZ_CHECK(whole.bytes == whole.stored.size());
    QM_FUZZ_CHECK(whole.hops == split.hops);
    const size_t header_end = whole.stored.starts_with('\n') ? 0 : whole.stored.find("\n\n");
    QM_FUZZ_CHECK(whole.stored.substr(0, header_end).find('\r') == std::string::npos);
    if (whole.outcome == DataDecoder::Outcome::end) {
        const std::string again = encode(whole.stored);
        const Run round = decode(again, again.size() + 1);
        QM_FUZZ_CHECK(round.outcome == DataDecoder::Outcome::end);
        QM_FUZZ_CHECK(round.stored == whole.stored);
        QM_FUZZ_CHECK(round.used == again.size());
    }
    return 0;
}

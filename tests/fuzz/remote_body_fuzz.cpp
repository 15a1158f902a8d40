// Fuzzes the outgoing body encoder against our own DATA decoder. Properties: the encoded
// stream, fed to qm::smtp::DataDecoder, ends exactly at its last byte and never earlier
// (no stored byte sequence can make an end-of-data at the next hop), and decodes to the
// input with every line end (LF, CR LF, in the body a lone CR) as LF, a lone CR in the
// header as a space (so no header line is gained) and a final line end added when
// missing; feeding the encoder in pieces gives the same bytes as feeding it whole.
#include "fuzz_check.hpp"
#include "qm/remote/body.hpp"
#include "qm/smtp/data_decoder.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// The header ends at the first empty line (LF or CR LF alone).
std::string normalized(std::string_view in) {
    std::string out;
    bool header = true;
    bool line_empty = true;
    for (size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n')
            continue; // CR LF: the LF ends the line
        if (c == '\r' && header) {
            out += ' ';
            line_empty = false;
        } else if (c == '\r' || c == '\n') {
            out += '\n';
            header = header && !line_empty;
            line_empty = true;
        } else {
            out += c;
            line_empty = false;
        }
    }
    if (!out.empty() && out.back() != '\n')
        out += '\n';
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    const size_t piece = 1 + data[0] % 13;
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::string wire = qm::remote::encode_body(in);

    qm::remote::BodyEncoder e;
    std::string pieces;
    for (size_t i = 0; i < in.size(); i += piece)
        e.feed(in.substr(i, piece), pieces);
    e.finish(pieces);
    QM_FUZZ_CHECK(pieces == wire);

    qm::smtp::DataDecoder d;
    std::string stored;
    size_t used = 0;
    const auto outcome = d.feed(wire, stored, &used);
    QM_FUZZ_CHECK(outcome == qm::smtp::DataDecoder::Outcome::end);
    QM_FUZZ_CHECK(used == wire.size());
    QM_FUZZ_CHECK(stored == normalized(in));
    return 0;
}

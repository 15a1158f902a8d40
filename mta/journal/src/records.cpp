#include "qm/journal/records.hpp"

#include "bytes.hpp"

#include <zstd.h>

#include <algorithm>
#include <memory>

namespace qm::journal {

using namespace bytes;

namespace {

constexpr std::size_t message_head_size = 8 + 8 + 8 + 8 + 4;

Failure bad(std::string_view what) {
    return perm("5.3.0", "a journal record " + std::string(what));
}

} // namespace

Result<std::string> encode_message(const MessageRecord& m, int level) {
    std::string out;
    const std::size_t bound = ZSTD_compressBound(m.body.size());
    out.reserve(message_head_size + m.envelope.size() + bound);
    put_u64(out, m.journal_id);
    put_u64(out, m.queue_id);
    put_u64(out, m.received);
    put_u64(out, m.body.size());
    put_u32(out, static_cast<std::uint32_t>(m.envelope.size()));
    out += m.envelope;
    const std::size_t at = out.size();
    out.resize(at + bound);
    // zstd's "ultra" levels (20 to 22) use windows that decompress_body refuses.
    const std::size_t n = ZSTD_compress(out.data() + at, bound, m.body.data(), m.body.size(),
                                        std::clamp(level, 1, 19));
    if (ZSTD_isError(n) != 0)
        return fail(
            temp("4.3.0", std::string("unable to compress a message: ") + ZSTD_getErrorName(n)));
    out.resize(at + n);
    if (out.size() > max_payload)
        return fail(perm("5.3.4", "the message is too big for the journal"));
    return out;
}

Result<MessageHead> decode_message_head(std::string_view payload) {
    if (payload.size() < message_head_size)
        return fail(bad("M is shorter than its fixed fields"));
    MessageHead h;
    h.journal_id = get_u64(payload, 0);
    h.queue_id = get_u64(payload, 8);
    h.received = get_u64(payload, 16);
    h.body_size = get_u64(payload, 24);
    const std::uint32_t envelope_size = get_u32(payload, 32);
    if (payload.size() - message_head_size < envelope_size)
        return fail(bad("M's envelope runs past its end"));
    h.envelope = payload.substr(message_head_size, envelope_size);
    h.compressed_body = payload.substr(message_head_size + envelope_size);
    return h;
}

Result<std::string> decompress_body(const MessageHead& head) {
    const unsigned long long stated =
        ZSTD_getFrameContentSize(head.compressed_body.data(), head.compressed_body.size());
    // A frame may leave its size out (zstd's streaming mode does); the size decoded is
    // checked against the record's all the same.
    if (stated == ZSTD_CONTENTSIZE_ERROR ||
        (stated != ZSTD_CONTENTSIZE_UNKNOWN && stated != head.body_size))
        return fail(bad("M's body is not one zstd frame of the size it states"));
    // Streamed, the output growing only as zstd produces it: a record that lies about its
    // size costs no more memory than the data it really holds. One context per thread,
    // reused: a recovery decompresses thousands of bodies, and a new context allocates its
    // window each time. The window is bounded to what encode_message's levels use (level
    // 19 at most reaches 2^23), so a frame that claims a huge one is refused, not allocated.
    thread_local const std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> context(
        ZSTD_createDCtx(), ZSTD_freeDCtx);
    ZSTD_DCtx* dctx = context.get();
    if (dctx == nullptr ||
        ZSTD_isError(ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)) != 0 ||
        ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 23)) != 0)
        return fail(temp("4.3.0", "out of memory for zstd"));
    std::string body;
    ZSTD_inBuffer in{head.compressed_body.data(), head.compressed_body.size(), 0};
    char chunk[65536];
    for (;;) {
        ZSTD_outBuffer out{chunk, sizeof chunk, 0};
        const std::size_t left = ZSTD_decompressStream(dctx, &out, &in);
        if (ZSTD_isError(left) != 0)
            return fail(bad("M's body does not decompress"));
        body.append(chunk, out.pos);
        if (body.size() > head.body_size)
            return fail(bad("M's body is longer than it states"));
        if (left == 0)
            break; // the frame is complete
        if (out.pos == 0 && in.pos == in.size)
            return fail(bad("M's body is cut short"));
    }
    if (in.pos != in.size)
        return fail(bad("M's body has bytes after its zstd frame"));
    if (body.size() != head.body_size)
        return fail(bad("M's body is shorter than it states"));
    return body;
}

std::string encode_done(const DoneRecord& d) {
    std::string out;
    put_u64(out, d.journal_id);
    out += static_cast<char>(d.outcome);
    out += d.address;
    return out;
}

Result<DoneRecord> decode_done(std::string_view payload) {
    if (payload.size() < 10)
        return fail(bad("D is shorter than its fixed fields and an address"));
    const char o = payload[8];
    if (o != static_cast<char>(Outcome::delivered) && o != static_cast<char>(Outcome::bounced))
        return fail(bad("D has an unknown outcome"));
    return DoneRecord{get_u64(payload, 0), static_cast<Outcome>(o), std::string(payload.substr(9))};
}

std::string encode_end(std::uint64_t journal_id) {
    std::string out;
    put_u64(out, journal_id);
    return out;
}

Result<std::uint64_t> decode_end(std::string_view payload) {
    if (payload.size() != 8)
        return fail(bad("E is not 8 bytes"));
    return get_u64(payload, 0);
}

} // namespace qm::journal

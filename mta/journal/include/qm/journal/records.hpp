// The payloads of the journal's records (qmail-journal(5)). All integers little-endian.
//   M  u64 journal id, u64 queue id (mess/S/N's N, 0 before it has one), u64 time
//      received, u64 body size, u32 envelope size, the envelope as qmail-queue writes
//      intd/N (u, p, F and T fields, each ending in NUL), then the body as one zstd frame.
//   D  u64 journal id, u8 outcome ('K' delivered, 'B' bounced: the bounce is a message of
//      its own), then the recipient's address as qmail-send's channel file holds it (after
//      virtualdomains), to the end of the payload.
//   E  u64 journal id.
// The journal id names a message for as long as the journal holds it; a queue id (an
// inode number) is reused once its files are gone, and a rebuilt message gets a new one.
#pragma once

#include "qm/journal/segment.hpp"
#include "qm/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace qm::journal {

struct MessageRecord {
    std::uint64_t journal_id = 0;
    std::uint64_t queue_id = 0;
    std::uint64_t received = 0;
    std::string envelope; // intd/N's bytes
    std::string body;     // the message as mess/S/N holds it
};

// level: zstd's (1 is fast and still shrinks mail about threefold).
[[nodiscard]] Result<std::string> encode_message(const MessageRecord& m, int level = 1);
// Everything but the body, which decode_message leaves compressed until asked.
struct MessageHead {
    std::uint64_t journal_id = 0;
    std::uint64_t queue_id = 0;
    std::uint64_t received = 0;
    std::uint64_t body_size = 0;
    std::string_view envelope;
    std::string_view compressed_body;
};
[[nodiscard]] Result<MessageHead> decode_message_head(std::string_view payload);
// The body, checked against the size the record states.
[[nodiscard]] Result<std::string> decompress_body(const MessageHead& head);

enum class Outcome : char { delivered = 'K', bounced = 'B' };
struct DoneRecord {
    std::uint64_t journal_id = 0;
    Outcome outcome = Outcome::delivered;
    std::string address;
    friend bool operator==(const DoneRecord&, const DoneRecord&) = default;
};
[[nodiscard]] std::string encode_done(const DoneRecord& d);
[[nodiscard]] Result<DoneRecord> decode_done(std::string_view payload);

[[nodiscard]] std::string encode_end(std::uint64_t journal_id);
[[nodiscard]] Result<std::uint64_t> decode_end(std::string_view payload);

} // namespace qm::journal

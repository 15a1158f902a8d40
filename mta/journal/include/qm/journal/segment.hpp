// The journal's segment files (qmail-journal(5)): queue/journal/<16 hex digits>, each a
// fixed header and then records appended one after another, each record checked by its
// own CRC-32, so that a reader can tell where a crash cut the file short. Writing is
// append-only; sync() is the one flush that makes everything appended so far durable,
// which is what lets many messages share one fdatasync (group commit).
//
// The file is made longer ahead of the records, a chunk of zeros at a time: a flush of
// bytes written over ones already there is one disk flush, while a flush that makes the
// file longer also commits the file system's journal (on this ext4: about 2,600 against
// 480 a second). So the end of the records is the first record header of zeros, and
// everything from there to the end of the file is zero.
#pragma once

#include "qm/fd.hpp"
#include "qm/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::journal {

// Bytes 0..7 of every segment.
inline constexpr std::string_view segment_magic = "qmjrnl1\n";
inline constexpr std::size_t segment_header_size = 32;
inline constexpr std::size_t record_header_size = 12;
// A record's payload is at most this long (a message, compressed, and its envelope).
inline constexpr std::uint32_t max_payload = 512u << 20;
// How much longer a segment is made each time its records reach its end.
inline constexpr std::uint64_t preallocation_chunk = 1u << 20;

enum class RecordType : std::uint8_t {
    message = 'M', // a message accepted: envelope and compressed body (records.hpp)
    done = 'D',    // one recipient needs no further delivery
    end = 'E',     // every recipient done: the message left the queue
};
[[nodiscard]] bool known_record_type(std::uint8_t t);

// "0000000000000001" for 1; nullopt for a name that is not 16 lowercase hex digits.
[[nodiscard]] std::string segment_name(std::uint64_t sequence);
[[nodiscard]] std::optional<std::uint64_t> parse_segment_name(std::string_view name);

// Where a record starts: its segment and the byte offset of its header.
struct RecordPos {
    std::uint64_t segment = 0;
    std::uint64_t offset = 0;
    friend bool operator==(const RecordPos&, const RecordPos&) = default;
};

// The 32 bytes a segment starts with: magic, sequence, creation time, CRC of those.
[[nodiscard]] std::string segment_header(std::uint64_t sequence, std::uint64_t created);
// The bytes of one record, header included (what SegmentWriter appends).
[[nodiscard]] std::string frame_record(RecordType type, std::string_view payload);

class SegmentWriter {
public:
    // Creates dir/<name of sequence> (it must not exist), writes its header and makes the
    // new name durable (fdatasync, then fsync of dir).
    [[nodiscard]] static Result<SegmentWriter>
    create(const std::string& dir, std::uint64_t sequence, std::uint64_t created);
    // Appends one framed record (frame_record) or several; not durable until sync().
    // A failed append leaves the writer unusable (the tail may be torn): make a new
    // segment.
    [[nodiscard]] Result<RecordPos> append(RecordType type, std::string_view payload);
    [[nodiscard]] Status append_framed(std::string_view framed_records);
    // fdatasync: everything appended before it is on stable storage when it returns.
    [[nodiscard]] Status sync();
    // Gives back the zeros after the last record (a segment that takes no more records);
    // not flushed: zeros left there by a crash read as the end all the same.
    void trim();

    [[nodiscard]] std::uint64_t sequence() const { return sequence_; }
    [[nodiscard]] std::uint64_t size() const { return size_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] bool broken() const { return broken_; }

private:
    SegmentWriter() = default;
    UniqueFd fd_;
    std::string path_;
    std::uint64_t sequence_ = 0;
    std::uint64_t size_ = 0;      // where the next record goes
    std::uint64_t allocated_ = 0; // the file's length: zeros from size_ on
    bool broken_ = false;
    [[nodiscard]] Status make_room(std::uint64_t bytes);
};

// One record as a reader finds it; payload points into the scanned bytes.
struct Record {
    RecordType type{};
    std::uint64_t offset = 0;
    std::string_view payload;
};

// What reading a segment found: its records up to the first one that is not whole and
// correct, and what stopped it there, if anything. Zeros from a record boundary to the
// end are the unused part of the segment, not a problem. A torn last record (cut short,
// or followed only by zeros, or a header never written: the crash came before the flush
// that would have covered it, so nobody was told it was accepted) and a damaged one (a
// bad CRC with records after it, an unknown type, an impossible length) are both
// reported with the offset; neither is ever read past.
struct SegmentScan {
    std::uint64_t sequence = 0;
    std::uint64_t created = 0;
    std::vector<Record> records;
    std::uint64_t valid_bytes = 0; // where the good records end
    std::optional<std::string> problem;
    bool torn_tail = false; // the problem is only an incomplete last record
};

// Reads a segment's bytes (as read from the file called name, for messages).
[[nodiscard]] SegmentScan scan_segment_bytes(std::string_view bytes, std::string_view name);

// A whole segment file read into memory, and its scan (which points into data).
struct SegmentFile {
    std::string path;
    std::string data;
    SegmentScan scan;
};
[[nodiscard]] Result<SegmentFile> read_segment(const std::string& path);

// The segment files in dir, by sequence; other names are left out.
[[nodiscard]] Result<std::vector<std::uint64_t>> list_segments(const std::string& dir);

} // namespace qm::journal

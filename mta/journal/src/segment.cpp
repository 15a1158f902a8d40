#include "qm/journal/segment.hpp"

#include "bytes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>

namespace qm::journal {

namespace bytes {

std::uint32_t crc32_of(std::string_view a, std::string_view b) {
    // (zlib answers a null buffer with the initial value, whatever came before: an empty
    // piece must be skipped, not passed.)
    uLong crc = ::crc32(0L, Z_NULL, 0);
    for (std::string_view piece : {a, b})
        if (!piece.empty())
            crc = ::crc32_z(crc, reinterpret_cast<const Bytef*>(piece.data()), piece.size());
    return static_cast<std::uint32_t>(crc);
}

} // namespace bytes

using namespace bytes;

bool known_record_type(std::uint8_t t) {
    return t == static_cast<std::uint8_t>(RecordType::message) ||
           t == static_cast<std::uint8_t>(RecordType::done) ||
           t == static_cast<std::uint8_t>(RecordType::end);
}

std::string segment_name(std::uint64_t sequence) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(sequence));
    return buf;
}

std::optional<std::uint64_t> parse_segment_name(std::string_view name) {
    if (name.size() != 16)
        return std::nullopt;
    std::uint64_t v = 0;
    for (char c : name) {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return std::nullopt;
        v = (v << 4) | static_cast<std::uint64_t>(d);
    }
    return v;
}

std::string segment_header(std::uint64_t sequence, std::uint64_t created) {
    std::string header(segment_magic);
    put_u64(header, sequence);
    put_u64(header, created);
    put_u32(header, crc32_of(header));
    put_u32(header, 0);
    return header;
}

std::string frame_record(RecordType type, std::string_view payload) {
    // crc(4) length(4) type(1) reserved(3) payload; the CRC covers all after itself.
    std::string head;
    put_u32(head, static_cast<std::uint32_t>(payload.size()));
    head += static_cast<char>(type);
    head.append(3, '\0');
    std::string out;
    out.reserve(record_header_size + payload.size());
    put_u32(out, crc32_of(head, payload));
    out += head;
    out += payload;
    return out;
}

namespace {

// write_all's failure says "write: <errno text>"; the log must say which file.
Failure naming(Failure f, const std::string& path) {
    f.text = path + ": " + f.text;
    return f;
}

} // namespace

Result<SegmentWriter> SegmentWriter::create(const std::string& dir, std::uint64_t sequence,
                                            std::uint64_t created) {
    SegmentWriter w;
    w.path_ = dir + "/" + segment_name(sequence);
    w.sequence_ = sequence;
    w.fd_.reset(
        ::open(w.path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!w.fd_)
        return fail(from_errno(errno, "unable to create " + w.path_));
    // A segment that could not be started holds nothing anyone was told about: it goes,
    // so that the next group (once a full disk has room again) can make it anew. Left,
    // its name would fail every later attempt (O_EXCL) for as long as the daemon runs.
    auto abandon = [&w](const Failure& f) {
        ::unlink(w.path_.c_str());
        return fail(f);
    };
    const std::string header = segment_header(sequence, created);
    if (auto s = write_all(w.fd_.get(), header); !s)
        return abandon(naming(s.error(), w.path_));
    w.size_ = w.allocated_ = header.size();
    // The first chunk is flushed with the header, so the first group's flush is cheap too.
    if (auto s = w.make_room(1); !s)
        return abandon(s.error());
    if (::fdatasync(w.fd_.get()) != 0)
        return abandon(from_errno(errno, "unable to flush " + w.path_));
    if (auto s = fsync_dir(dir); !s)
        return abandon(s.error());
    return w;
}

Status SegmentWriter::make_room(std::uint64_t bytes) {
    if (size_ + bytes <= allocated_)
        return {};
    const std::uint64_t want = size_ + bytes + preallocation_chunk;
    static const std::string zeros(64u << 10, '\0');
    for (std::uint64_t at = allocated_; at < want;) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), want - at));
        const ssize_t w = ::pwrite(fd_.get(), zeros.data(), n, static_cast<off_t>(at));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            const int err = w < 0 ? errno : ENOSPC;
            // The records are untouched: give back what was added and fail only this
            // group (a full disk is temporary; the next group tries again).
            if (::ftruncate(fd_.get(), static_cast<off_t>(allocated_)) != 0) {
                // Zeros past the records read as the end; nothing more to do.
            }
            return fail(from_errno(err, "unable to make " + path_ + " longer"));
        }
        at += static_cast<std::uint64_t>(w);
    }
    allocated_ = want;
    return {};
}

Result<RecordPos> SegmentWriter::append(RecordType type, std::string_view payload) {
    const RecordPos pos{sequence_, size_};
    if (auto s = append_framed(frame_record(type, payload)); !s)
        return fail(s.error());
    return pos;
}

Status SegmentWriter::append_framed(std::string_view framed_records) {
    if (broken_)
        return fail(temp("4.3.0", path_ + " had a failed write; a new segment is needed"));
    if (auto s = make_room(framed_records.size()); !s)
        return s;
    for (std::size_t done = 0; done < framed_records.size();) {
        const ssize_t w = ::pwrite(fd_.get(), framed_records.data() + done,
                                   framed_records.size() - done, static_cast<off_t>(size_ + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            broken_ = true;
            return fail(from_errno(w < 0 ? errno : EIO, "unable to write " + path_));
        }
        done += static_cast<std::size_t>(w);
    }
    size_ += framed_records.size();
    return {};
}

void SegmentWriter::trim() {
    if (!broken_ && ::ftruncate(fd_.get(), static_cast<off_t>(size_)) == 0)
        allocated_ = size_;
}

Status SegmentWriter::sync() {
    if (broken_)
        return fail(temp("4.3.0", path_ + " had a failed write; a new segment is needed"));
    if (::fdatasync(fd_.get()) != 0) {
        // After a failed flush the kernel may have dropped the dirty pages: nothing
        // written since the last good flush can be trusted any more.
        broken_ = true;
        return fail(from_errno(errno, "unable to flush " + path_));
    }
    return {};
}

SegmentScan scan_segment_bytes(std::string_view bytes, std::string_view name) {
    SegmentScan scan;
    const std::string where(name);
    if (auto seq = parse_segment_name(name.substr(name.rfind('/') + 1)))
        scan.sequence = *seq;
    auto stop = [&](std::uint64_t offset, const std::string& what, bool torn) {
        scan.problem = where + " at offset " + std::to_string(offset) + ": " + what;
        scan.torn_tail = torn;
        return scan;
    };
    if (bytes.size() < segment_header_size)
        return stop(0,
                    "shorter than a segment header (" + std::to_string(bytes.size()) +
                        " bytes): cut short while it was made",
                    true);
    if (bytes.substr(0, segment_magic.size()) != segment_magic)
        return stop(0, "not a journal segment (no qmjrnl1 magic)", false);
    if (get_u32(bytes, 24) != crc32_of(bytes.substr(0, 24)))
        return stop(0, "the segment header's CRC does not match", false);
    scan.sequence = get_u64(bytes, 8);
    scan.created = get_u64(bytes, 16);
    std::uint64_t at = segment_header_size;
    scan.valid_bytes = at;
    // Only zeros from here on: what was never written (the unused part, or the tail a
    // power cut kept from being written).
    auto zeros_from = [&](std::uint64_t from) {
        return from >= bytes.size() ||
               bytes.find_first_not_of('\0', static_cast<std::size_t>(from)) ==
                   std::string_view::npos;
    };
    while (at < bytes.size()) {
        if (zeros_from(at))
            break; // the end of the records
        const std::uint64_t left = bytes.size() - at;
        if (left < record_header_size)
            return stop(at, "a record header cut short (" + std::to_string(left) + " bytes)", true);
        // Every record written has a non-zero length, so a header of zeros was never
        // flushed: later pages of the same unflushed group may have reached the disk first.
        if (bytes.substr(at, record_header_size).find_first_not_of('\0') == std::string_view::npos)
            return stop(at, "a record header never written", true);
        const std::uint32_t crc = get_u32(bytes, at);
        const std::uint32_t length = get_u32(bytes, at + 4);
        const auto type = static_cast<std::uint8_t>(bytes[at + 8]);
        if (length > max_payload)
            return stop(at, "a record length of " + std::to_string(length) + " bytes", false);
        if (left - record_header_size < length)
            return stop(at,
                        "a record cut short (" + std::to_string(length) + " bytes of payload, " +
                            std::to_string(left - record_header_size) + " there)",
                        true);
        const std::string_view head = bytes.substr(at + 4, 8);
        const std::string_view payload = bytes.substr(at + record_header_size, length);
        const bool last = zeros_from(at + record_header_size + length);
        if (crc != crc32_of(head, payload))
            // The last record with a bad CRC is what an unflushed append leaves after a
            // power cut (the length written, the data not); one in the middle is damage.
            return stop(at, "a record whose CRC does not match", last);
        if (!known_record_type(type) || bytes[at + 9] != 0 || bytes[at + 10] != 0 ||
            bytes[at + 11] != 0)
            return stop(at, "a record of unknown type " + std::to_string(type), false);
        scan.records.push_back(Record{static_cast<RecordType>(type), at, payload});
        at += record_header_size + length;
        scan.valid_bytes = at;
    }
    return scan;
}

Result<SegmentFile> read_segment(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return fail(from_errno(errno, "unable to open " + path));
    auto data = read_all(fd.get());
    if (!data)
        return fail(data.error());
    SegmentFile file{path, std::move(*data), {}};
    file.scan = scan_segment_bytes(file.data, path);
    return file;
}

Result<std::vector<std::uint64_t>> list_segments(const std::string& dir) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d)
        return fail(from_errno(errno, "unable to read " + dir));
    std::vector<std::uint64_t> out;
    errno = 0;
    while (const dirent* e = ::readdir(d.get()))
        if (auto seq = parse_segment_name(e->d_name))
            out.push_back(*seq);
    if (errno != 0)
        return fail(from_errno(errno, "unable to read " + dir));
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace qm::journal

#include "qm/remote/tcpto.hpp"

#include "qm/fd.hpp"
#include "qm/log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>

namespace qm::remote {

namespace asio = boost::asio;
using asio::ip::address;

namespace {

constexpr unsigned max_count = 10;
constexpr std::time_t recount_after = 120; // a timeout closer to the last one is not counted

// The address's bytes as stored; empty for the wrong family.
std::string address_bytes(const address& ip) {
    if (ip.is_v4()) {
        const auto b = ip.to_v4().to_bytes();
        return {b.begin(), b.end()};
    }
    const auto b = ip.to_v6().to_bytes();
    return {b.begin(), b.end()};
}

address address_from(std::string_view bytes) {
    if (bytes.size() == 4) {
        asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), bytes.data(), 4);
        return asio::ip::address_v4(b);
    }
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), bytes.data(), 16);
    return asio::ip::address_v6(b);
}

// Reads the whole table under a lock; nullopt when the file cannot be used.
struct LockedFile {
    UniqueFd fd;
    std::string bytes;
};
std::optional<LockedFile> open_locked(const std::string& path, const TcptoFormat& format,
                                      bool for_writing) {
    LockedFile f;
    f.fd.reset(::open(path.c_str(), (for_writing ? O_RDWR : O_RDONLY) | O_CLOEXEC));
    if (!f.fd) {
        if (for_writing && errno != ENOENT) {
            // Said once: qmail-send keeps delivering without the table, and a warning per
            // connection would flood the log.
            static std::atomic<bool> warned{false};
            if (!warned.exchange(true))
                log::warning("unable to open " + path + " for writing: " + std::strerror(errno) +
                             "; downed hosts are not remembered");
        }
        return std::nullopt;
    }
    if (::flock(f.fd.get(), for_writing ? LOCK_EX : LOCK_SH) != 0)
        return std::nullopt;
    f.bytes.resize(tcpto_file_size(format));
    ssize_t got = 0;
    do
        got = ::pread(f.fd.get(), f.bytes.data(), f.bytes.size(), 0);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return std::nullopt;
    f.bytes.resize(static_cast<size_t>(got));
    return f;
}

} // namespace

const TcptoFormat& tcpto_format_for(const address& ip) {
    return ip.is_v4() ? tcpto_v4 : tcpto_v6;
}

std::time_t tcpto_backoff(unsigned pid) {
    return static_cast<std::time_t>(60 + (pid & 31)) << 6;
}

TcptoTable::TcptoTable(const TcptoFormat& format, std::string bytes)
    : format_(format)
    , bytes_(std::move(bytes))
    , records_(std::min(bytes_.size() / format.record_bytes, tcpto_records)) {}

std::string_view TcptoTable::record(size_t i) const {
    return std::string_view(bytes_).substr(i * format_.record_bytes, format_.record_bytes);
}

unsigned TcptoTable::count(size_t i) const {
    return static_cast<unsigned char>(bytes_[i * format_.record_bytes + format_.count_at]);
}

std::uint32_t TcptoTable::when(size_t i) const {
    const auto* p =
        reinterpret_cast<const unsigned char*>(bytes_.data() + i * format_.record_bytes) +
        format_.time_at;
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

void TcptoTable::set_when(size_t i, std::time_t t) {
    auto v = static_cast<std::uint32_t>(t);
    for (size_t k = 0; k < 4; ++k, v >>= 8)
        bytes_[i * format_.record_bytes + format_.time_at + k] = static_cast<char>(v & 0xff);
}

std::optional<size_t> TcptoTable::find(const address& ip) const {
    const std::string key = address_bytes(ip);
    if (key.size() != format_.address_bytes)
        return std::nullopt;
    for (size_t i = 0; i < records_; ++i)
        if (record(i).substr(0, format_.address_bytes) == key)
            return i;
    return std::nullopt;
}

bool TcptoTable::down(const address& ip, std::time_t now, std::time_t backoff) const {
    const auto i = find(ip);
    if (!i || count(*i) < 2)
        return false;
    // A time in the future (a clock set back) is as good as long ago, as qmail's unsigned
    // arithmetic has it.
    const std::time_t last = when(*i);
    return now >= last && now - last < backoff;
}

std::optional<size_t> TcptoTable::timed_out(const address& ip, std::time_t now) {
    if (format_.address_bytes != address_bytes(ip).size() || records_ == 0)
        return std::nullopt;
    if (const auto i = find(ip)) {
        const unsigned c = count(*i);
        if (c != 0 && now < static_cast<std::time_t>(when(*i)) + recount_after)
            return std::nullopt; // the same outage as the last timeout
        bytes_[*i * format_.record_bytes + format_.count_at] =
            static_cast<char>(std::min(c + 1, max_count));
        set_when(*i, now);
        return i;
    }
    // A free record, else the one least worth keeping.
    size_t slot = records_;
    for (size_t i = 0; i < records_ && slot == records_; ++i)
        if (count(i) == 0)
            slot = i;
    if (slot == records_) {
        std::uint64_t best = 0;
        for (size_t i = 0; i < records_; ++i) {
            const std::uint64_t worth = std::uint64_t{when(i)} + (std::uint64_t{count(i)} << 10);
            if (i == 0 || worth < best) {
                best = worth;
                slot = i;
            }
        }
    }
    const std::string key = address_bytes(ip);
    std::memcpy(bytes_.data() + slot * format_.record_bytes, key.data(), key.size());
    bytes_[slot * format_.record_bytes + format_.count_at] = 1;
    set_when(slot, now);
    return slot;
}

std::optional<size_t> TcptoTable::responded(const address& ip) {
    const auto i = find(ip);
    if (!i || count(*i) == 0)
        return std::nullopt;
    bytes_[*i * format_.record_bytes + format_.count_at] = 0;
    return i;
}

std::vector<TcptoEntry> TcptoTable::entries() const {
    std::vector<TcptoEntry> out;
    for (size_t i = 0; i < records_; ++i)
        if (count(i) >= 1)
            out.push_back(
                {address_from(record(i).substr(0, format_.address_bytes)), count(i), when(i)});
    return out;
}

DownedHosts::DownedHosts(std::string v4_path, std::string v6_path, unsigned pid)
    : v4_path_(std::move(v4_path))
    , v6_path_(std::move(v6_path))
    , backoff_(tcpto_backoff(pid)) {}

const std::string& DownedHosts::path_for(const address& ip) const {
    return ip.is_v4() ? v4_path_ : v6_path_;
}

bool DownedHosts::down(const address& ip, std::time_t now) const {
    const TcptoFormat& format = tcpto_format_for(ip);
    auto f = open_locked(path_for(ip), format, false);
    return f && TcptoTable(format, std::move(f->bytes)).down(ip, now, backoff_);
}

namespace {

void update(const std::string& path, const address& ip,
            const std::function<std::optional<size_t>(TcptoTable&)>& change) {
    const TcptoFormat& format = tcpto_format_for(ip);
    auto f = open_locked(path, format, true);
    if (!f)
        return;
    TcptoTable table(format, std::move(f->bytes));
    const auto i = change(table);
    if (!i)
        return;
    const std::string_view rec = table.record(*i);
    const auto off = static_cast<off_t>(*i * format.record_bytes);
    ssize_t put = 0;
    do
        put = ::pwrite(f->fd.get(), rec.data(), rec.size(), off);
    while (put < 0 && errno == EINTR);
    // A failed write loses one observation, nothing more: the table is advisory.
}

} // namespace

void DownedHosts::timed_out(const address& ip, std::time_t now) const {
    update(path_for(ip), ip, [&](TcptoTable& t) { return t.timed_out(ip, now); });
}

void DownedHosts::responded(const address& ip) const {
    update(path_for(ip), ip, [&](TcptoTable& t) { return t.responded(ip); });
}

Result<std::vector<TcptoEntry>> read_tcpto(const std::string& path, const TcptoFormat& format) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::vector<TcptoEntry>{};
        return fail(from_errno(errno, "unable to open " + path));
    }
    if (::flock(fd.get(), LOCK_SH) != 0)
        return fail(from_errno(errno, "unable to lock " + path));
    std::string bytes(tcpto_file_size(format), '\0');
    ssize_t got = 0;
    do
        got = ::pread(fd.get(), bytes.data(), bytes.size(), 0);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return fail(from_errno(errno, "unable to read " + path));
    bytes.resize(static_cast<size_t>(got));
    return TcptoTable(format, std::move(bytes)).entries();
}

std::string format_tcpto_entry(const TcptoEntry& e, std::time_t now) {
    const std::time_t ago = now > e.when ? now - e.when : 0;
    return e.ip.to_string() + " timed out " + std::to_string(ago) +
           " seconds ago; # recent timeouts: " + std::to_string(e.timeouts) + "\n";
}

Status clear_tcpto(const std::string& path, const TcptoFormat& format) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return {};
        return fail(from_errno(errno, "unable to open " + path));
    }
    if (::flock(fd.get(), LOCK_EX) != 0)
        return fail(from_errno(errno, "unable to lock " + path));
    const std::string zeros(tcpto_file_size(format), '\0');
    if (::lseek(fd.get(), 0, SEEK_SET) != 0)
        return fail(from_errno(errno, "unable to seek in " + path));
    return write_all(fd.get(), zeros);
}

} // namespace qm::remote

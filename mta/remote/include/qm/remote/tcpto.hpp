// Downed-host backoff (qmail's tcpto, mta.md section 5.4): a small table of addresses
// whose connects timed out, so that a host that is down costs one connect timeout per
// hour instead of one per message.
//
// queue/lock/tcpto is qmail's file byte for byte: 64 records of 16 bytes, bytes 0-3 the
// IPv4 address, byte 4 the count of recent timeouts (at most 10), bytes 8-11 the time of
// the last one (little-endian seconds). queue/lock/tcpto6 is the same for IPv6, which
// qmail's file cannot hold: 64 records of 32 bytes, bytes 0-15 the address, byte 16 the
// count, bytes 24-27 the time.
//
// qmail's rules: only a connect that times out counts (a refusal proves the host is up);
// a timeout within 120 s of the previous one is not counted again; an address with two or
// more counted timeouts is skipped until (60 + (pid & 31)) << 6 seconds (64 to 97
// minutes, the pid spreading the re-probes of many senders) after the last one; a
// successful connect resets the count. A new address takes the first free record, else
// evicts the one with the smallest when + (count << 10).
#pragma once

#include "qm/result.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace qm::remote {

struct TcptoFormat {
    size_t address_bytes;
    size_t record_bytes;
    size_t count_at;
    size_t time_at;
};
inline constexpr TcptoFormat tcpto_v4{4, 16, 4, 8};    // lock/tcpto, 1024 bytes
inline constexpr TcptoFormat tcpto_v6{16, 32, 16, 24}; // lock/tcpto6, 2048 bytes
inline constexpr size_t tcpto_records = 64;

[[nodiscard]] constexpr size_t tcpto_file_size(const TcptoFormat& f) {
    return f.record_bytes * tcpto_records;
}
[[nodiscard]] const TcptoFormat& tcpto_format_for(const boost::asio::ip::address& ip);

struct TcptoEntry {
    boost::asio::ip::address ip;
    unsigned timeouts = 0;
    std::uint32_t when = 0; // the last counted timeout, seconds since the epoch
};

// How long an address with two or more timeouts is skipped: qmail's
// (60 + (pid & 31)) << 6 seconds.
[[nodiscard]] std::time_t tcpto_backoff(unsigned pid);

// The table as read from one file (a short file holds fewer records, as in qmail). The
// changing calls return the index of the record to write back, if any.
class TcptoTable {
public:
    TcptoTable(const TcptoFormat& format, std::string bytes);

    [[nodiscard]] bool down(const boost::asio::ip::address& ip, std::time_t now,
                            std::time_t backoff) const;
    [[nodiscard]] std::optional<size_t> timed_out(const boost::asio::ip::address& ip,
                                                  std::time_t now);
    // The host answered (a connection, or a refusal): its count goes back to 0.
    [[nodiscard]] std::optional<size_t> responded(const boost::asio::ip::address& ip);
    // Records with a count of at least one, in file order.
    [[nodiscard]] std::vector<TcptoEntry> entries() const;

    [[nodiscard]] std::string_view record(size_t i) const;
    [[nodiscard]] size_t size() const { return records_; }

private:
    [[nodiscard]] std::optional<size_t> find(const boost::asio::ip::address& ip) const;
    [[nodiscard]] unsigned count(size_t i) const;
    [[nodiscard]] std::uint32_t when(size_t i) const;
    void set_when(size_t i, std::time_t t);

    TcptoFormat format_;
    std::string bytes_;
    size_t records_;
};

// The two files of one queue, used by the remote client on qmail-send's event loop: each
// call is one locked read of at most 2 KiB and at most one record written back. Trouble
// with the files (missing, not writable) never stops a delivery: the address then counts
// as up and nothing is recorded, as in qmail.
class DownedHosts {
public:
    DownedHosts(std::string v4_path, std::string v6_path, unsigned pid);

    [[nodiscard]] bool down(const boost::asio::ip::address& ip, std::time_t now) const;
    void timed_out(const boost::asio::ip::address& ip, std::time_t now) const;
    void responded(const boost::asio::ip::address& ip) const;

private:
    [[nodiscard]] const std::string& path_for(const boost::asio::ip::address& ip) const;

    std::string v4_path_, v6_path_;
    std::time_t backoff_;
};

// For qmail-tcpto: the entries of one file (a missing file has none).
[[nodiscard]] Result<std::vector<TcptoEntry>> read_tcpto(const std::string& path,
                                                         const TcptoFormat& format);
// qmail-tcpto's line: "1.2.3.4 timed out 120 seconds ago; # recent timeouts: 2".
[[nodiscard]] std::string format_tcpto_entry(const TcptoEntry& e, std::time_t now);
// For qmail-tcpok: every byte of the file zero, under the lock (a missing file is fine).
[[nodiscard]] Status clear_tcpto(const std::string& path, const TcptoFormat& format);

} // namespace qm::remote

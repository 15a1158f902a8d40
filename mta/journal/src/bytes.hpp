// Little-endian integers in the journal's byte strings (qmail-journal(5)). Private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qm::journal::bytes {

inline void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out += static_cast<char>((v >> (8 * i)) & 0xff);
}

inline void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// The caller has checked that at least 4 (8) bytes are there.
inline std::uint32_t get_u32(std::string_view in, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
    return v;
}

inline std::uint64_t get_u64(std::string_view in, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
    return v;
}

// zlib's CRC-32 (the one gzip and PNG use).
[[nodiscard]] std::uint32_t crc32_of(std::string_view a, std::string_view b = {});

} // namespace qm::journal::bytes

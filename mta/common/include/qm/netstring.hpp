// Netstrings (cr.yp.to/proto/netstrings.txt): "<decimal length>:<bytes>,". Used by QMTP,
// QMQP and our own internal pipes. Decimal lengths have no leading zeros ("0:," is the
// empty string); lengths are bounded so a hostile peer cannot make us allocate.
#pragma once

#include "qm/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace qm::netstring {

inline constexpr size_t default_max_length = 200'000'000;

[[nodiscard]] std::string encode(std::string_view payload);

struct Decoded {
    std::string_view payload;
    size_t consumed = 0; // bytes of input used, including the length and the comma
};
// Decodes one netstring at the start of input. Returns nullopt when more input is needed,
// a permanent failure when input can never be a netstring.
[[nodiscard]] Result<std::optional<Decoded>> decode(std::string_view input,
                                                    size_t max_length = default_max_length);

} // namespace qm::netstring

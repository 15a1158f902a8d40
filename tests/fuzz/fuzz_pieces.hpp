// What the push-parser fuzz targets share: the first input byte chooses how many bytes
// each feed gets (1 to 7), the rest is the input, fed once whole and once in such pieces;
// both runs must agree.
#pragma once

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fuzz {

struct PiecedInput {
    size_t piece; // bytes per feed for the split run
    std::string_view in;
};

// Empty input: nothing to fuzz.
inline std::optional<PiecedInput> pieced_input(const std::uint8_t* data, size_t size) {
    if (size == 0)
        return std::nullopt;
    return PiecedInput{1 + data[0] % 7u,
                       std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)};
}

} // namespace fuzz

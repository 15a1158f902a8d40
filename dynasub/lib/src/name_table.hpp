// The names an enumeration is written with in dynasub's files and command lines (states,
// managers): one table per enumeration, read both ways. Private to the library.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace qm::dynasub {

template <class E, std::size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

// The name of value, "?" for one the table lacks.
template <class E, std::size_t N>
std::string_view name_in(const NameTable<E, N>& table, E value) {
    for (const auto& [v, name] : table)
        if (v == value)
            return name;
    return "?";
}

// The value called name, in ASCII letters of either case.
template <class E, std::size_t N>
std::optional<E> value_in(const NameTable<E, N>& table, std::string_view name) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    for (const auto& [v, n] : table)
        if (n.size() == name.size() &&
            std::equal(n.begin(), n.end(), name.begin(),
                       [&](char a, char b) { return lower(a) == lower(b); }))
            return v;
    return std::nullopt;
}

} // namespace qm::dynasub

#include "qm/analog/stamp.hpp"

#include <charconv>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <tuple>
#include <utility>

namespace qm::analog {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Digits, then optionally a dot and more digits.
bool is_seconds(std::string_view s) {
    if (s.empty() || !is_digit(s.front()))
        return false;
    const auto dot = s.find('.');
    const std::string_view whole = s.substr(0, dot);
    const std::string_view fraction =
        dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    for (const char c : whole)
        if (!is_digit(c))
            return false;
    for (const char c : fraction)
        if (!is_digit(c))
            return false;
    return dot == std::string_view::npos || !fraction.empty();
}

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

// The first word of s and what follows it, with the blanks between them skipped.
std::pair<std::string_view, std::string_view> first_word(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && is_space(s[i]))
        ++i;
    size_t j = i;
    while (j < s.size() && !is_space(s[j]))
        ++j;
    size_t k = j;
    while (k < s.size() && is_space(s[k]))
        ++k;
    return {s.substr(i, j - i), s.substr(k)};
}

// The words qmail-send starts an event with: a journalctl line is told from an event by
// its first word not being one of them.
bool is_event_word(std::string_view w) {
    static constexpr std::string_view words[] = {
        "status:", "starting", "delivery", "new",    "end",    "info",   "extra",    "running",
        "exiting", "number",   "local",    "remote", "bounce", "triple", "warning:", "alert:"};
    for (const auto e : words)
        if (w == e)
            return true;
    return false;
}

} // namespace

std::optional<std::string> tai64n_seconds(std::string_view label) {
    if (label.size() != 25 || label.front() != '@')
        return std::nullopt;
    // 16 hex digits of seconds, 8 of nanoseconds; from_chars takes no sign or 0x.
    std::uint64_t seconds = 0;
    std::uint32_t nanoseconds = 0;
    const char* const begin = label.data() + 1;
    const auto s = std::from_chars(begin, begin + 16, seconds, 16);
    const auto n = std::from_chars(begin + 16, begin + 24, nanoseconds, 16);
    if (s.ec != std::errc() || s.ptr != begin + 16 || n.ec != std::errc() || n.ptr != begin + 24)
        return std::nullopt;
    // TAI64's epoch label is 2^62; multilog adds the 10 s TAI was ahead of UTC in 1970
    // (daemontools' tai_now), so Unix time is the label less both.
    constexpr std::uint64_t unix_epoch = (std::uint64_t{1} << 62) + 10;
    if (seconds < unix_epoch || nanoseconds > 999999999)
        return std::nullopt;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%" PRIu64 ".%09" PRIu32, seconds - unix_epoch, nanoseconds);
    return std::string(buf);
}

std::optional<Stamped> split_stamp(std::string_view line) {
    auto [stamp, rest] = first_word(line);
    if (stamp.starts_with('@')) {
        auto seconds = tai64n_seconds(stamp);
        if (!seconds)
            return std::nullopt;
        return Stamped{std::move(*seconds), rest};
    }
    if (is_seconds(stamp)) {
        // journalctl -o short-unix: "SECONDS HOST TAG[PID]: TEXT".
        const auto [word, after_word] = first_word(rest);
        const auto [tag, after_tag] = first_word(after_word);
        if (!is_event_word(word) && tag.ends_with(':') && !after_tag.empty())
            return Stamped{std::string(stamp), after_tag};
        return Stamped{std::string(stamp), rest};
    }
    // syslog with splogger's own stamp: "Mon DD HH:MM:SS HOST TAG: SECONDS TEXT".
    std::string_view words[5];
    std::string_view s = line;
    for (auto& w : words)
        std::tie(w, s) = first_word(s);
    if (words[0].size() == 3 && words[2].find(':') != std::string_view::npos &&
        words[4].ends_with(':')) {
        auto [inner, text] = first_word(s);
        if (is_seconds(inner))
            return Stamped{std::string(inner), text};
    }
    return std::nullopt;
}

} // namespace qm::analog

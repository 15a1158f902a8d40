// Temporary-versus-permanent failure as a type (qmail's 111 / 100, SMTP's 4xx / 5xx).
// Every fallible function returns Result<T>; each program maps a Failure to its exit
// code or reply in exactly one place.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace qm {

enum class Severity : std::uint8_t { temporary, permanent };

struct Failure {
    Severity severity = Severity::temporary;
    std::string dsn;  // RFC 3463 status such as "4.3.0"; first digit agrees with severity
    std::string text; // human text, one line

    [[nodiscard]] bool permanent() const { return severity == Severity::permanent; }
    // qmail style "text (#4.3.0)"
    [[nodiscard]] std::string with_dsn() const;
};

template <class T>
using Result = std::expected<T, Failure>;
using Status = std::expected<void, Failure>;

[[nodiscard]] Failure temp(std::string dsn, std::string text);
[[nodiscard]] Failure perm(std::string dsn, std::string text);
// Maps an errno from a filesystem operation: disk full and quota are temporary, as is
// nearly everything else; only a few (ENAMETOOLONG, ELOOP) are permanent.
[[nodiscard]] Failure from_errno(int err, std::string_view what);

constexpr int exit_code(Severity s) {
    return s == Severity::permanent ? 100 : 111;
}
inline int exit_code(const Failure& f) {
    return exit_code(f.severity);
}

inline std::unexpected<Failure> fail(Failure f) {
    return std::unexpected<Failure>(std::move(f));
}

} // namespace qm

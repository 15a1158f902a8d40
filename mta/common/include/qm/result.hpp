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
// The one errno table (result.cpp), read two ways:
// - from_errno: an operation on the mail system's own files. Disk full and quota are
//   temporary (4.3.1), and so is nearly everything else (a permission or a missing
//   directory is the admin's to fix, and the mail waits for it); only a path that can
//   never work (ENAMETOOLONG, ELOOP) is permanent.
// - is_temporary_errno: qmail's error_temp, for a file or program someone else named (a
//   .qmail's, a wrapper's command): resource shortages, I/O and network trouble, a full
//   disk or quota are temporary; anything else (missing, not executable) will fail again.
[[nodiscard]] Failure from_errno(int err, std::string_view what);
[[nodiscard]] bool is_temporary_errno(int err);
// strerror() that is safe from any thread.
[[nodiscard]] std::string error_text(int err);

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

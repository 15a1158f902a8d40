#include "qm/result.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace qm {

std::string Failure::with_dsn() const {
    if (dsn.empty())
        return text;
    return text + " (#" + dsn + ")";
}

Failure temp(std::string dsn, std::string text) {
    return Failure{Severity::temporary, std::move(dsn), std::move(text)};
}

Failure perm(std::string dsn, std::string text) {
    return Failure{Severity::permanent, std::move(dsn), std::move(text)};
}

namespace {

enum class ErrnoKind : std::uint8_t { transient, storage_full, impossible_path, other };

ErrnoKind kind_of(int err) {
    switch (err) {
    case ENOSPC:
    case EDQUOT:
        return ErrnoKind::storage_full;
    case ENAMETOOLONG:
    case ELOOP:
        return ErrnoKind::impossible_path;
    case EINTR:
    case ENOMEM:
    case ETXTBSY:
    case EIO:
    case ETIMEDOUT:
    case EAGAIN:
    case EDEADLK:
    case EBUSY:
    case ENFILE:
    case EMFILE:
    case EFBIG:
    case ENETDOWN:
    case ENETUNREACH:
    case ENETRESET:
    case ECONNABORTED:
    case ECONNRESET:
    case ENOBUFS:
    case ETOOMANYREFS:
    case ECONNREFUSED:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case EUSERS:
    case ESTALE:
    case EREMOTE:
    case ENOLCK:
    case EROFS:
        return ErrnoKind::transient;
    default:
        return ErrnoKind::other;
    }
}

} // namespace

Failure from_errno(int err, std::string_view what) {
    std::string text(what);
    text += ": ";
    text += error_text(err);
    switch (kind_of(err)) {
    case ErrnoKind::impossible_path:
        return perm("5.3.0", std::move(text));
    case ErrnoKind::storage_full:
        return temp("4.3.1", std::move(text));
    default:
        return temp("4.3.0", std::move(text));
    }
}

bool is_temporary_errno(int err) {
    const ErrnoKind kind = kind_of(err);
    return kind == ErrnoKind::transient || kind == ErrnoKind::storage_full;
}

std::string error_text(int err) {
    char buf[256];
    // GNU strerror_r: returns either buf or a static string.
    return ::strerror_r(err, buf, sizeof buf);
}

} // namespace qm

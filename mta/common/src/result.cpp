#include "qm/result.hpp"

#include <cerrno>
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

Failure from_errno(int err, std::string_view what) {
    std::string text(what);
    text += ": ";
    text += std::strerror(err);
    switch (err) {
    case ENAMETOOLONG:
    case ELOOP:
        return perm("5.3.0", std::move(text));
    case ENOSPC:
    case EDQUOT:
        return temp("4.3.1", std::move(text));
    default:
        return temp("4.3.0", std::move(text));
    }
}

} // namespace qm

#include "qm/env.hpp"

#include <sys/auxv.h>

#include <cstdlib>

namespace qm {

bool privileged() {
    return ::getauxval(AT_SECURE) != 0;
}

std::optional<std::string> env_value(const char* name, bool secure) {
    if (secure)
        return std::nullopt;
    const char* v = std::getenv(name);
    if (!v)
        return std::nullopt;
    return std::string(v);
}

std::optional<std::string> env(const char* name) {
    return env_value(name, privileged());
}

} // namespace qm

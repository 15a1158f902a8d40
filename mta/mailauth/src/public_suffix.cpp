#include "qm/mailauth/public_suffix.hpp"

#include "qm/address.hpp"

#include <libpsl.h>

namespace qm::mailauth {

namespace {

// The newest of libpsl's built-in list and Debian's publicsuffix data; loaded once.
const psl_ctx_t* suffix_list() {
    static const psl_ctx_t* const psl = [] {
        const psl_ctx_t* p = ::psl_latest(nullptr);
        return p != nullptr ? p : ::psl_builtin();
    }();
    return psl;
}

} // namespace

std::string organizational_domain(std::string_view domain) {
    std::string d = address::lowercase(domain);
    while (!d.empty() && (d.front() == ' ' || d.front() == '\t'))
        d.erase(0, 1);
    while (!d.empty() && (d.back() == '.' || d.back() == ' ' || d.back() == '\t'))
        d.pop_back();
    const char* registrable = ::psl_registrable_domain(suffix_list(), d.c_str());
    return registrable == nullptr ? d : std::string(registrable);
}

} // namespace qm::mailauth

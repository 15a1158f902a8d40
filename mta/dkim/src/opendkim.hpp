// OpenDKIM's header for this library's sources, and the one way a message is handed to it.
#pragma once

#include "qm/result.hpp"

#include <sys/time.h>
#include <sys/types.h>

#include <memory>
#include <string_view>

// dkim.h is C99 and spells bool _Bool, which C++ does not know; the two are the same type
// in the ABI (one byte, 0 or 1).
#define _Bool bool
extern "C" {
#include <dkim.h>
}
#undef _Bool

namespace qm::dkim::detail {

struct LibClose {
    void operator()(DKIM_LIB* lib) const { dkim_close(lib); }
};
struct HandleFree {
    void operator()(DKIM* d) const { dkim_free(d); }
};
using Lib = std::unique_ptr<DKIM_LIB, LibClose>;
using Handle = std::unique_ptr<DKIM, HandleFree>;

// Gives d the message's header fields (continuation lines joined with CRLF) and its body
// with CRLF line ends (a CRLF already there stays one), as DKIM canonicalizes them.
[[nodiscard]] Status feed(DKIM* d, std::string_view message);

// "what: OpenDKIM's words (its error text)", temporary.
[[nodiscard]] Failure library_failure(std::string_view what, DKIM_STAT st, DKIM* d);

} // namespace qm::dkim::detail

// libFuzzer target for the .qmail parser and search order: any bytes must parse or fail
// cleanly, and what comes out must respect the grammar's invariants.
#include "qm/local/dot_qmail.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = qm::local::parse_dot_qmail(text);
    if (parsed) {
        for (const auto& in : *parsed) {
            using Kind = qm::local::Instruction::Kind;
            // No instruction may carry a line break, a NUL or trailing blanks.
            if (in.target.find_first_of(std::string_view("\n\0", 2)) != std::string::npos)
                std::abort();
            if (in.kind == Kind::maildir && (in.target.empty() || in.target.back() != '/'))
                std::abort();
            if ((in.kind == Kind::mbox || in.kind == Kind::maildir) && in.target.front() != '/' &&
                in.target.front() != '.')
                std::abort();
            (void)qm::local::describe(in);
        }
    } else if (parsed.error().severity != qm::Severity::temporary) {
        std::abort();
    }
    // The same bytes as an extension: no candidate can climb out of the home directory
    // (a '/' is possible, as in qmail, but no ".." component since '.' becomes ':').
    for (const auto& c : qm::local::search_order("-", text.substr(0, 256))) {
        if (c.name.find('.', 1) != std::string::npos)
            std::abort();
        if (c.default_from && *c.default_from > text.substr(0, 256).size())
            std::abort();
    }
    return 0;
}

// libFuzzer target for the .forward parser (dot-forward): any bytes must parse or fail
// with a message naming the file, and every action must be one that dot-forward can
// carry out safely.
#include "qm/fwd/dot_forward.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const qm::fwd::Qualify q{"dh.example", "dd.example", "pd.example", "me.example"};
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto actions = qm::fwd::parse_dot_forward(text, ".forward", q, "bob", "h.example");
    if (!actions) {
        if (actions.error().text.rfind(".forward:", 0) != 0)
            std::abort();
        return 0;
    }
    using Kind = qm::fwd::DotForwardAction::Kind;
    for (const auto& a : *actions) {
        // Lines are parsed one by one: no action may span a line break.
        if (a.text.find('\n') != std::string::npos)
            std::abort();
        switch (a.kind) {
        case Kind::forward:
            // Always qualified; never a file path or a bare program.
            if (a.text.find('@') == std::string::npos || a.text.empty())
                std::abort();
            break;
        case Kind::direct:
            if (!a.text.empty())
                std::abort();
            break;
        case Kind::program:
            break;
        }
    }
    return 0;
}

// printmaillist < list.bin: prints a binary mailing list in setmaillist syntax
// (printmaillist(1) of fastforward 0.51).
#include "qm/fd.hpp"
#include "qm/fwd/cli.hpp"
#include "qm/fwd/table.hpp"

#include <new>

namespace {

constexpr std::string_view help =
    "usage: printmaillist < list.bin\n"
    "Prints a binary mailing list (from setmaillist or newinclude) one entry per line.\n"
    "Exit 0, 100 if the input is not a binary mailing list, 111 on I/O trouble.\n";

} // namespace

int main(int argc, char** argv) {
    if (qm::fwd::cli::help_requested(argc, argv, help))
        return 0;
    try {
        auto input = qm::read_all(0);
        if (!input)
            return qm::fwd::cli::fatal("printmaillist", input.error());
        auto text = qm::fwd::format_maillist(*input);
        if (!text)
            return qm::fwd::cli::fatal("printmaillist", text.error());
        if (auto w = qm::fwd::cli::write_stdout(*text); !w)
            return qm::fwd::cli::fatal("printmaillist", w.error());
        return 0;
    } catch (const std::bad_alloc&) {
        return qm::fwd::cli::fatal("printmaillist", qm::temp("4.3.0", "out of memory"));
    }
}

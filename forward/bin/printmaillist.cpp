// printmaillist < list.bin: prints a binary mailing list in setmaillist syntax
// (printmaillist(1) of fastforward 0.51).
#include "qm/fd.hpp"
#include "qm/fwd/cli.hpp"
#include "qm/fwd/table.hpp"

namespace {

constexpr std::string_view help =
    "usage: printmaillist < list.bin\n"
    "Prints a binary mailing list (from setmaillist or newinclude) one entry per line.\n"
    "Exit 0, 100 if the input is not a binary mailing list, 111 on I/O trouble.\n";

int printmaillist(qm::program::Words) {
    namespace cli = qm::fwd::cli;
    auto input = qm::read_all(0);
    if (!input)
        return cli::fatal("printmaillist", input.error());
    auto text = qm::fwd::format_maillist(*input);
    if (!text)
        return cli::fatal("printmaillist", text.error());
    if (auto w = cli::write_stdout(*text); !w)
        return cli::fatal("printmaillist", w.error());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"printmaillist", help}, argc, argv, printmaillist);
}

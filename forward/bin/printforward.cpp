// printforward < table.cdb: prints a fastforward table in setforward syntax
// (printforward(1) of fastforward 0.51).
#include "qm/fwd/cli.hpp"
#include "qm/fwd/table.hpp"

#include <new>

namespace {

constexpr std::string_view help =
    "usage: printforward < table.cdb\n"
    "Prints the forwarding table (from newaliases or setforward, ours or fastforward\n"
    "0.51's) as setforward instructions; setforward reads the output back unchanged.\n"
    "Exit 0, 100 if the input is not a forwarding table, 111 on I/O trouble.\n";

} // namespace

int main(int argc, char** argv) {
    if (qm::fwd::cli::help_requested(argc, argv, help))
        return 0;
    try {
        auto records = qm::fwd::cli::read_cdb_fd(0);
        if (!records)
            return qm::fwd::cli::fatal("printforward", records.error());
        auto text = qm::fwd::format_printforward(*records);
        if (!text)
            return qm::fwd::cli::fatal("printforward", text.error());
        if (auto w = qm::fwd::cli::write_stdout(*text); !w)
            return qm::fwd::cli::fatal("printforward", w.error());
        return 0;
    } catch (const std::bad_alloc&) {
        return qm::fwd::cli::fatal("printforward", qm::temp("4.3.0", "out of memory"));
    }
}

// printforward < table.cdb: prints a fastforward table in setforward syntax
// (printforward(1) of fastforward 0.51).
#include "qm/fwd/cli.hpp"
#include "qm/fwd/table.hpp"

namespace {

constexpr std::string_view help =
    "usage: printforward < table.cdb\n"
    "Prints the forwarding table (from newaliases or setforward, ours or fastforward\n"
    "0.51's) as setforward instructions; setforward reads the output back unchanged.\n"
    "Exit 0, 100 if the input is not a forwarding table, 111 on I/O trouble.\n";

int printforward(qm::program::Words) {
    namespace cli = qm::fwd::cli;
    auto records = cli::read_cdb_fd(0);
    if (!records)
        return cli::fatal("printforward", records.error());
    auto text = qm::fwd::format_printforward(*records);
    if (!text)
        return cli::fatal("printforward", text.error());
    if (auto w = cli::write_stdout(*text); !w)
        return cli::fatal("printforward", w.error());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"printforward", help}, argc, argv, printforward);
}

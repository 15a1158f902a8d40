// setforward table.cdb tmp: compiles forwarding instructions on stdin into a fastforward
// table (setforward(1) of fastforward 0.51).
#include "qm/cdb.hpp"
#include "qm/fd.hpp"
#include "qm/fwd/cli.hpp"
#include "qm/fwd/table.hpp"

#include <sys/stat.h>

namespace {

constexpr std::string_view help =
    "usage: setforward table.cdb tmp < instructions\n"
    "Instructions: \"target: command, command, ...;\" where target is user@host,\n"
    "@host or user@, and a command is an address (&addr or addr), ?owner, a binary\n"
    "mailing list (/path or ./path, made by setmaillist), |program or !program\n"
    "(through preline). Spaces, tabs and newlines are ignored; # comments to end of\n"
    "line; backslash quotes the next character. The table is replaced atomically;\n"
    "tmp is accepted for compatibility (the temporary file is always made beside\n"
    "table.cdb). Exit 0, 100 on a syntax error (nothing written), 111 on I/O trouble.\n";

int setforward(qm::program::Words args) {
    namespace cli = qm::fwd::cli;
    if (args.size() != 2)
        return cli::usage("setforward", "data.cdb data.tmp");
    // The table is read by fastforward running as other users (alias, list owners):
    // world-readable whatever the caller's umask, as 0.51 makes it.
    ::umask(022);
    auto input = qm::read_all(0);
    if (!input)
        return cli::fatal("setforward", input.error());
    auto writer = qm::cdb::Writer::create(args[0], 0644);
    if (!writer)
        return cli::fatal("setforward", writer.error());
    auto built = qm::fwd::parse_setforward(
        *input, [&](std::string_view k, std::string_view d) { return writer->add(k, d); });
    if (!built)
        return cli::fatal("setforward", built.error());
    if (auto c = writer->commit(); !c)
        return cli::fatal("setforward", c.error());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"setforward", help}, argc, argv, setforward);
}

// setmaillist list.bin tmp: compiles a mailing list on stdin, one entry per line, into a
// binary list for fastforward (setmaillist(1) of fastforward 0.51).
#include "qm/fd.hpp"
#include "qm/fwd/cli.hpp"
#include "qm/fwd/table.hpp"

#include <sys/stat.h>

namespace {

constexpr std::string_view help =
    "usage: setmaillist list.bin tmp < list\n"
    "One entry per line: an address (&addr or addr) or another binary list (/path or\n"
    "./path). Blank lines and # lines are ignored; trailing spaces and tabs trimmed.\n"
    "list.bin is replaced atomically (tmp is accepted for compatibility).\n"
    "Exit 0, 111 on I/O trouble.\n";

int setmaillist(qm::program::Words args) {
    namespace cli = qm::fwd::cli;
    if (args.size() != 2)
        return cli::usage("setmaillist", "list.bin list.tmp");
    // The table is read by fastforward running as other users (alias, list owners):
    // world-readable whatever the caller's umask, as 0.51 makes it.
    ::umask(022);
    auto input = qm::read_all(0);
    if (!input)
        return cli::fatal("setmaillist", input.error());
    if (auto w = qm::write_file_atomic(args[0], qm::fwd::compile_maillist(*input), 0644); !w)
        return cli::fatal("setmaillist", w.error());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"setmaillist", help}, argc, argv, setmaillist);
}

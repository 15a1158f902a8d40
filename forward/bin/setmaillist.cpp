// setmaillist list.bin tmp: compiles a mailing list on stdin, one entry per line, into a
// binary list for fastforward (setmaillist(1) of fastforward 0.51).
#include "qm/fd.hpp"
#include "qm/fwd/cli.hpp"
#include "qm/fwd/table.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <new>

namespace {

constexpr std::string_view help =
    "usage: setmaillist list.bin tmp < list\n"
    "One entry per line: an address (&addr or addr) or another binary list (/path or\n"
    "./path). Blank lines and # lines are ignored; trailing spaces and tabs trimmed.\n"
    "list.bin is replaced atomically (tmp is accepted for compatibility).\n"
    "Exit 0, 111 on I/O trouble.\n";

} // namespace

int main(int argc, char** argv) {
    if (qm::fwd::cli::help_requested(argc, argv, help))
        return 0;
    if (argc != 3) {
        std::fputs("setmaillist: usage: setmaillist list.bin list.tmp\n", stderr);
        return 100;
    }
    // The table is read by fastforward running as other users (alias, list owners):
    // world-readable whatever the caller's umask, as 0.51 makes it.
    ::umask(022);
    try {
        auto input = qm::read_all(0);
        if (!input)
            return qm::fwd::cli::fatal("setmaillist", input.error());
        if (auto w = qm::write_file_atomic(argv[1], qm::fwd::compile_maillist(*input), 0644); !w)
            return qm::fwd::cli::fatal("setmaillist", w.error());
        return 0;
    } catch (const std::bad_alloc&) {
        return qm::fwd::cli::fatal("setmaillist", qm::temp("4.3.0", "out of memory"));
    }
}

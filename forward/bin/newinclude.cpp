// newinclude list: compiles a sendmail :include: list into list.bin for fastforward
// (newinclude(1) of fastforward 0.51).
#include "qm/fd.hpp"
#include "qm/fwd/aliases.hpp"
#include "qm/fwd/cli.hpp"

#include <sys/stat.h>

namespace {

constexpr std::string_view help =
    "usage: newinclude list\n"
    "Reads the sendmail :include: file list (addresses separated by commas or lines,\n"
    "# comments, :include: of other compiled lists) and writes list.bin atomically;\n"
    "an aliases entry \":include:list\" refers to it. Programs and files are refused.\n"
    "Exit 0, 100 on a syntax error (the old list.bin stays), 111 on I/O trouble.\n";

int newinclude(qm::program::Words args) {
    namespace cli = qm::fwd::cli;
    if (args.size() != 1)
        return cli::usage("newinclude", "list");
    // The table is read by fastforward running as other users (alias, list owners):
    // world-readable whatever the caller's umask, as 0.51 makes it.
    ::umask(022);
    const std::string& list = args[0];
    auto q = qm::fwd::load_qualify();
    if (!q)
        return cli::fatal("newinclude", q.error());
    auto content = qm::read_file(list);
    if (!content)
        return cli::fatal("newinclude", qm::temp("4.3.0", "unable to read " + list + ": " +
                                                              content.error().text));
    auto bin = qm::fwd::compile_include(*content, list, *q);
    if (!bin)
        return cli::fatal("newinclude", bin.error());
    if (auto w = qm::write_file_atomic(list + ".bin", *bin, 0644); !w)
        return cli::fatal("newinclude", w.error());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"newinclude", help}, argc, argv, newinclude);
}

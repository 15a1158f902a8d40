// ezmlm-unsub [options] dir [subdir] [box@domain [name] ...]: removes subscribers (ezmlm-unsub(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/manage/subunsub.hpp"

namespace {

constexpr std::string_view help =
    "usage: ezmlm-unsub [-HmMnNqvV] [-h hash] [-S subdb] [-t tag] [-f file] dir [subdir]\n"
    "       [box@domain [name] ...]\n"
    "Removes each box@domain from the subscriber list of the list in dir, or of the\n"
    "sub-database dir/subdir (mod, digest, allow, deny), and writes a Log line for each\n"
    "one it changes (\"TIME -manual ADDRESS\"). Without addresses, reads them from file (-f;\n"
    "- is stdin) or stdin, one per line (the first word; blank lines and # comments\n"
    "skipped), rewriting each subscriber file once (no Log lines then): a progress line\n"
    "shows on a terminal unless -q. Domains are lower-cased; matching ignores case.\n"
    "Switches of ezmlm-idx 7:\n"
    "  -n / -N  the addresses on the command line come in pairs, address and a name\n"
    "           for its Log line / they are all addresses (default)\n"
    "  -t tag   the Log event is -tag instead of -manual\n"
    "  -m, -M, -S std  the standard subscriber database, the only one there is (another\n"
    "           -S, an SQL plugin, is refused)\n"
    "  -h hash, -H  for SQL databases: accepted and without effect here\n"
    "  -v, -V   the version\n"
    "Exit: 0 done, 100 bad usage or a bad address (the good ones are still removed),\n"
    "111 temporary trouble (nothing changed in the file being written).\n";

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-unsub", argc, argv, help, [](qm::program::Words args) {
        return qm::lists::subunsub("ezmlm-unsub", false, args);
    });
}

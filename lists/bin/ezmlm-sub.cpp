// ezmlm-sub dir [subdir] [box@domain ...]: adds subscribers (ezmlm-sub(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/manage/subunsub.hpp"

namespace {

constexpr std::string_view help =
    "usage: ezmlm-sub [-q] [-f file] dir [subdir] [box@domain ...]\n"
    "Adds each box@domain to the subscriber list of the list in dir, or of the\n"
    "sub-database dir/subdir (mod, digest, allow, deny). Without addresses, reads them\n"
    "from file (-f; - is stdin) or stdin, one per line (the first word; blank lines and\n"
    "# comments skipped), rewriting each subscriber file once: a progress line shows on a\n"
    "terminal unless -q. Domains are lower-cased; matching ignores case.\n"
    "Exit: 0 done, 100 bad usage or a bad address (the good ones are still added),\n"
    "111 temporary trouble (nothing changed in the file being written).\n";

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-sub", argc, argv, help, [](qm::program::Words args) {
        return qm::lists::subunsub("ezmlm-sub", true, args);
    });
}

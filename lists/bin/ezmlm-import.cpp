// ezmlm-import [-vV] dir [mbox]: appends the messages of an mbox file to a list's archive
// (ezmlm-import(1)), for a list moved from elsewhere; then ezmlm-idx makes its index.
#include "qm/lists/archive/import.hpp"
#include "qm/lists/core/cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace {

constexpr std::string_view synopsis = "[-vV] dir [mbox]";

constexpr std::string_view help =
    "usage: ezmlm-import [-vV] dir [mbox]\n"
    "Appends the messages of mbox (default: standard input) to the archive of the list\n"
    "in dir, numbered after dir/num, which is advanced. Each line starting \"From \"\n"
    "starts a message and is dropped, as is anything before the first. Then make the\n"
    "index: ezmlm-idx dir (with -d to date the posts by their Date: fields).\n"
    "  -v, -V  the version\n"
    "Exit: 0 done, 100 bad usage, 111 temporary trouble (nothing is numbered that is\n"
    "not safely written).\n";

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-import", argc, argv, help, [](qm::program::Words args) {
        bool asked_version = false;
        qm::program::Options options(qm::program::Order::anywhere);
        cli::declare_version(options, asked_version);
        auto words = options.parse(args);
        if (!words)
            return cli::usage("ezmlm-import", synopsis, words.error());
        if (asked_version)
            return cli::version();
        if (words->empty() || words->size() > 2)
            return cli::usage("ezmlm-import", synopsis);
        int fd = 0;
        if (words->size() == 2) {
            // ezmlm-idx 7 opens a relative name in dir; ours, where it was given.
            fd = ::open((*words)[1].c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                return cli::fatal("ezmlm-import",
                                  qm::from_errno(errno, "unable to open " + (*words)[1]));
        }
        auto imported = qm::lists::import_mbox(words->front(), fd);
        if (!imported)
            return cli::fatal("ezmlm-import", imported.error());
        if (imported->last >= imported->first)
            std::fprintf(stderr, "ezmlm-import: info: messages %lu to %lu\n", imported->first,
                         imported->last);
        return 0;
    });
}

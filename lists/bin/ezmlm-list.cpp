// ezmlm-list [-n] dir [subdir]: prints the subscribers of a list (ezmlm-list(1)).
#include "qm/lists/cli.hpp"
#include "qm/lists/subscribers.hpp"

#include <unistd.h>

#include <cstdio>

namespace {

constexpr std::string_view synopsis = "[-n] dir [subdir]";
constexpr std::string_view help =
    "usage: ezmlm-list [-n] dir [subdir]\n"
    "Prints every subscriber of the list in dir (or of the sub-database dir/subdir:\n"
    "mod, digest, allow, deny), one address per line, as stored.\n"
    "  -n  print only the number of subscribers\n"
    "Exit: 0, 100 bad usage, 111 unreadable subscriber files or output error.\n";

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-list", argc, argv, help, [&] {
        bool count_only = false;
        int opt;
        while ((opt = ::getopt(argc, argv, "n")) != -1) {
            if (opt != 'n')
                return cli::usage("ezmlm-list", synopsis);
            count_only = true;
        }
        if (optind >= argc || argc - optind > 2)
            return cli::usage("ezmlm-list", synopsis);
        std::string db = argv[optind];
        if (argc - optind == 2)
            db += "/" + std::string(argv[optind + 1]);
        unsigned long count = 0;
        auto r = qm::lists::for_each_subscriber(db, [&](std::string_view a) {
            ++count;
            if (!count_only) {
                std::fwrite(a.data(), 1, a.size(), stdout);
                std::fputc('\n', stdout);
            }
        });
        if (!r)
            return cli::fatal("ezmlm-list", r.error());
        if (count_only)
            std::printf("%lu\n", count);
        if (std::fflush(stdout) != 0 || std::ferror(stdout))
            return cli::fatal("ezmlm-list", qm::temp("4.3.0", "unable to write output"));
        return 0;
    });
}

// ezmlm-list [-mMnNvV] [-S subdb] dir [subdir]: prints the subscribers of a list (ezmlm-list(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/subscribers.hpp"

#include <cstdio>

namespace {

constexpr std::string_view synopsis = "[-mMnNvV] [-S subdb] dir [subdir]";
constexpr std::string_view help =
    "usage: ezmlm-list [-mMnNvV] [-S subdb] dir [subdir]\n"
    "Prints every subscriber of the list in dir (or of the sub-database dir/subdir:\n"
    "mod, digest, allow, deny), one address per line, as stored.\n"
    "  -n  print only the number of subscribers    -N  print them (default)\n"
    "  -m, -M, -S std  the standard subscriber database, the only one there is (another\n"
    "      -S, an SQL plugin of ezmlm-idx 7, is refused)\n"
    "  -v, -V  the version\n"
    "Exit: 0, 100 bad usage, 111 unreadable subscriber files or output error.\n";

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-list", argc, argv, help, [](qm::program::Words args) {
        bool count_only = false;
        qm::program::Options options(qm::program::Order::anywhere);
        bool asked_version = false;
        std::string subdb = "std";
        options.set('n', count_only, true)
            .set('N', count_only, false)
            .set('m', subdb, std::string("std"))
            .set('M', subdb, std::string("std"))
            .store('S', subdb, "a subscriber database");
        cli::declare_version(options, asked_version);
        auto operands = options.parse(args);
        if (!operands)
            return cli::usage("ezmlm-list", synopsis, operands.error());
        if (asked_version)
            return cli::version();
        if (auto s = cli::standard_subscribers(subdb); !s)
            return cli::fatal("ezmlm-list", s.error());
        if (operands->empty() || operands->size() > 2)
            return cli::usage("ezmlm-list", synopsis);
        std::string db = operands->front();
        if (operands->size() == 2)
            db += "/" + operands->back();
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

// ezmlm-rmtab [-mM] [-S subdb] [dir]: removes a list's subscriber tables (ezmlm-rmtab(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/subscribers.hpp"

namespace {

constexpr std::string_view synopsis = "[-mMvV] [-S subdb] dir";

constexpr std::string_view help =
    "usage: ezmlm-rmtab [-mMvV] [-S subdb] dir\n"
    "Removes the subscriber tables of the list in dir: the subscriber files of the list\n"
    "and of its allow, deny, digest and mod databases, and their subscribers/\n"
    "directories. Every subscriber is gone afterwards; ezmlm-make -e makes new, empty\n"
    "tables. The subscribers and other files of the list directory stay.\n"
    "  -m, -M      the list's own database / the standard one (the same here: the\n"
    "              standard subscriber files are the only database)\n"
    "  -S subdb    the database; only std is supported (an SQL plugin is refused)\n"
    "  -v, -V      the version\n"
    "Exit: 0 removed (or there were none), 100 bad usage or a subscribers/ directory that\n"
    "holds other files, 111 temporary trouble.\n";

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-rmtab", argc, argv, help, [](qm::program::Words args) {
        std::string subdb;
        bool asked_version = false;
        bool ignored = false;
        qm::program::Options options(qm::program::Order::anywhere);
        options.set('m', ignored, true).set('M', subdb, std::string("std"));
        options.store('S', subdb, "a subscriber database");
        cli::declare_version(options, asked_version);
        auto dirs = options.parse(args);
        if (!dirs)
            return cli::usage("ezmlm-rmtab", synopsis, dirs.error());
        if (asked_version)
            return cli::version();
        if (!subdb.empty())
            if (auto s = cli::standard_subscribers(subdb); !s)
                return cli::fatal("ezmlm-rmtab", s.error());
        // ezmlm-idx 7 takes -S without dir for an SQL database; ours are files in dir.
        if (dirs->size() != 1)
            return cli::usage("ezmlm-rmtab", synopsis);
        if (auto s = qm::lists::remove_subscriber_tables(dirs->front()); !s)
            return cli::fatal("ezmlm-rmtab", s.error());
        return 0;
    });
}

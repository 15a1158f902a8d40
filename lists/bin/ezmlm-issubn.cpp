// ezmlm-issubn [-nN] dir [subdir ...]: is $SENDER a subscriber? (ezmlm-issubn(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/subscribers.hpp"

namespace {

constexpr std::string_view synopsis = "[-nNvV] dir [subdir ...]";

constexpr std::string_view help =
    "usage: ezmlm-issubn [-nNvV] dir [subdir ...]\n"
    "Exits 0 if $SENDER is subscribed to any of the databases named, 99 if to none; -n\n"
    "reverses the two (-N: back to normal). Meant for dot-qmail lines:\n"
    "  |ezmlm-issubn /l . digest allow || { echo Sorry; exit 100; }\n"
    "dir alone: the list in dir. dir and subdirs: the sub-databases of the list in dir\n"
    "by name (digest, allow, mod, ...; . is the list itself), as ezmlm-idx 7 has them.\n"
    "When every word is an absolute path, each is a database of its own (ezmlm 0.53:\n"
    "/l /l/allow). Matching ignores case. -v, -V: the version.\n"
    "Exit: 0 / 99 as above, 100 bad usage or SENDER not set, 111 temporary trouble.\n";

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-issubn", argc, argv, help, [](qm::program::Words args) {
        bool reverse = false;
        bool asked_version = false;
        qm::program::Options options(qm::program::Order::anywhere);
        options.set('n', reverse, true).set('N', reverse, false);
        cli::declare_version(options, asked_version);
        auto dirs = options.parse(args);
        if (!dirs)
            return cli::usage("ezmlm-issubn", synopsis, dirs.error());
        if (asked_version)
            return cli::version();
        if (dirs->empty())
            return cli::usage("ezmlm-issubn", synopsis);
        auto sender = cli::sender();
        if (!sender)
            return cli::fatal("ezmlm-issubn", qm::perm("5.3.5", "SENDER not set"));
        auto dbs = cli::databases(dirs->front(), {dirs->begin() + 1, dirs->end()});
        if (!dbs)
            return cli::fatal("ezmlm-issubn", dbs.error());
        for (const auto& db : *dbs) {
            auto r = qm::lists::is_subscriber(db, *sender);
            if (!r)
                return cli::fatal("ezmlm-issubn", r.error());
            if (*r)
                return reverse ? 99 : 0;
        }
        return reverse ? 0 : 99;
    });
}

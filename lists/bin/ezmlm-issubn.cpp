// ezmlm-issubn [-nN] dir [dir ...]: is $SENDER a subscriber? (ezmlm-issubn(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/subscribers.hpp"

namespace {

constexpr std::string_view synopsis = "[-nN] dir [dir1 ...]";

constexpr std::string_view help =
    "usage: ezmlm-issubn [-nN] dir [dir ...]\n"
    "Exits 0 if $SENDER is subscribed to any of the databases dir (a list directory or a\n"
    "sub-database such as /path/list/allow), 99 if to none; -n reverses the two. Meant\n"
    "for dot-qmail lines: |ezmlm-issubn /l /l/allow || { echo Sorry; exit 100; }\n"
    "Each dir must be absolute. Matching ignores case.\n"
    "Exit: 0 / 99 as above, 100 bad usage or SENDER not set, 111 temporary trouble.\n";

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-issubn", argc, argv, help, [](qm::program::Words args) {
        auto sender = cli::sender();
        if (!sender)
            return cli::fatal("ezmlm-issubn", qm::perm("5.3.5", "SENDER not set"));
        bool reverse = false;
        qm::program::Options options(qm::program::Order::anywhere);
        options.set('n', reverse, true).set('N', reverse, false);
        auto dirs = options.parse(args);
        if (!dirs)
            return cli::usage("ezmlm-issubn", synopsis, dirs.error());
        if (dirs->empty())
            return cli::usage("ezmlm-issubn", synopsis);
        for (const auto& dir : *dirs) {
            if (dir.empty() || dir[0] != '/')
                return cli::fatal("ezmlm-issubn", qm::perm("5.3.5", "dir must start with slash"));
            auto r = qm::lists::is_subscriber(dir, *sender);
            if (!r)
                return cli::fatal("ezmlm-issubn", r.error());
            if (*r)
                return reverse ? 99 : 0;
        }
        return reverse ? 0 : 99;
    });
}

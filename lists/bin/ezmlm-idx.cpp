// ezmlm-idx [-dDF] [-f msg] dir: makes the subject/author index of a list's archive anew
// from the archived posts (ezmlm-idx(1)).
#include "qm/lists/archive/archive_index.hpp"
#include "qm/lists/core/cli.hpp"

#include <charconv>

namespace {

constexpr std::string_view synopsis = "[-dDFvV] [-f msg] dir";

constexpr std::string_view help =
    "usage: ezmlm-idx [-dDFvV] [-f msg] dir\n"
    "Makes the index of the archive of the list in dir anew (archive/N/index, one per\n"
    "hundred posts, as ezmlm-send writes it for an indexed list) from the archived\n"
    "posts, and turns indexing on (dir/indexed). Posts without the owner-execute bit\n"
    "are left out. After ezmlm-import, or to index a list that had no index.\n"
    "  -d       the date from the Date: field (posts brought in from elsewhere)\n"
    "  -D       the date from the first Received: field (default)\n"
    "  -f msg   start with the hundred holding msg; -F: from the first (default)\n"
    "  -v, -V   the version\n"
    "Exit: 0 done, 100 bad usage, 111 temporary trouble.\n";

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-idx", argc, argv, help, [](qm::program::Words args) {
        bool date_field = false;
        unsigned long from = 0;
        bool asked_version = false;
        qm::program::Options options(qm::program::Order::anywhere);
        options.set('d', date_field, true).set('D', date_field, false).set('F', from, 0UL);
        options.argument(
            'f',
            [&from](const std::string& v) {
                auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), from);
                return ec == std::errc{} && p == v.data() + v.size();
            },
            "a message number");
        cli::declare_version(options, asked_version);
        auto dirs = options.parse(args);
        if (!dirs)
            return cli::usage("ezmlm-idx", synopsis, dirs.error());
        if (asked_version)
            return cli::version();
        if (dirs->size() != 1)
            return cli::usage("ezmlm-idx", synopsis);
        if (auto s = qm::lists::rebuild_index(dirs->front(), from, date_field); !s)
            return cli::fatal("ezmlm-idx", s.error());
        return 0;
    });
}

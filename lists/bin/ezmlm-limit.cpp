// ezmlm-limit [-dDF] [-f file] [-n msgs] [-t secs] dir: moderates (or defers) a list's
// posts when too many arrive too fast (ezmlm-limit(1)); in the editor before ezmlm-store.
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"
#include "qm/lists/moderate/limit.hpp"

#include <charconv>
#include <cstdio>

namespace {

constexpr std::string_view synopsis = "[-dDFvV] [-f file] [-n msgs] [-t secs] dir";

constexpr std::string_view help =
    "usage: ezmlm-limit [-dDFvV] [-f file] [-n msgs] [-t secs] dir\n"
    "In the list's editor, before ezmlm-store: |ezmlm-limit /l\n"
    "Counts posts (dir/num) from a start written in dir/loopnum (\"N:T\"); when msgs\n"
    "posts (default 30) arrive within secs seconds (default 3600) of it, the list\n"
    "becomes moderated (dir/modpost: ezmlm-store holds posts for the moderators, none\n"
    "is lost; remove modpost to end it). A list with modpost is left alone.\n"
    "  -d       defer excess posts instead (exit 111: qmail tries them again later)\n"
    "  -D       moderate (default)\n"
    "  -f file  count in file (relative to dir) instead of loopnum; -F: loopnum\n"
    "  -n msgs, -t secs  the limit\n"
    "  -v, -V   the version\n"
    "Exit: 0 go on, 100 bad usage or no dir/num, 111 deferred or temporary trouble.\n";

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-limit", argc, argv, help, [](qm::program::Words args) {
        qm::lists::TrafficLimit limit;
        bool asked_version = false;
        auto number = [](unsigned long& target) {
            return [&target](const std::string& v) {
                auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), target);
                return ec == std::errc{} && p == v.data() + v.size();
            };
        };
        qm::program::Options options(qm::program::Order::options_first);
        options.set('d', limit.defer, true).set('D', limit.defer, false);
        options.store('f', limit.file, "a file name").set('F', limit.file, std::string("loopnum"));
        options.argument('n', number(limit.count), "a number of posts")
            .argument('t', number(limit.secs), "a number of seconds");
        cli::declare_version(options, asked_version);
        auto dirs = options.parse(args);
        if (!dirs)
            return cli::usage("ezmlm-limit", synopsis, dirs.error());
        if (asked_version)
            return cli::version();
        // One word only: ezmlm-idx 7 refuses options after dir.
        if (dirs->size() != 1 || limit.file.empty())
            return cli::usage("ezmlm-limit", synopsis);
        auto verdict = qm::lists::limit_traffic(dirs->front(), limit, qm::lists::now());
        if (!verdict)
            return cli::fatal("ezmlm-limit", verdict.error());
        if (*verdict == qm::lists::TrafficVerdict::moderated)
            std::fputs("ezmlm-limit: info: too many posts: the list is now moderated\n", stderr);
        return 0;
    });
}

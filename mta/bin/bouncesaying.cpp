// bouncesaying error [program [arg...]]: bounces the message with error, or, given a
// program, only if the program exits 0 (bouncesaying(1)).
#include "qm/program.hpp"
#include "qm/tools/child.hpp"

#include <cstdio>

namespace {

constexpr std::string_view help =
    "usage: bouncesaying error [program [arg...]]\n"
    "Without a program: prints error and exits 100 (bounce).\n"
    "With one: runs it on the message; exit 0 from it -> print error, exit 100;\n"
    "111 from it (or a crash) -> exit 111; any other exit -> exit 0.\n";

} // namespace

int main(int argc, char** argv) {
    // No options, as in qmail: the first word is the error text whatever it looks like,
    // and the program's own flags follow it.
    return qm::program::run({"bouncesaying", help}, argc, argv, [](qm::program::Words args) {
        if (args.empty())
            return qm::program::usage("bouncesaying", "error [ program [ arg ... ] ]");
        if (args.size() > 1) {
            auto matched = qm::tools::run_condition({args.begin() + 1, args.end()});
            if (!matched)
                return qm::program::fatal("bouncesaying", matched.error().text, 111);
            if (!*matched)
                return 0;
        }
        std::fprintf(stderr, "%s\n", args[0].c_str());
        return 100;
    });
}

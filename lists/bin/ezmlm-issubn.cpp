// ezmlm-issubn [-nN] dir [dir ...]: is $SENDER a subscriber? (ezmlm-issubn(1)).
#include "qm/lists/cli.hpp"
#include "qm/lists/subscribers.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <new>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-issubn [-nN] dir [dir ...]\n"
    "Exits 0 if $SENDER is subscribed to any of the databases dir (a list directory or a\n"
    "sub-database such as /path/list/allow), 99 if to none; -n reverses the two. Meant\n"
    "for dot-qmail lines: |ezmlm-issubn /l /l/allow || { echo Sorry; exit 100; }\n"
    "Each dir must be absolute. Matching ignores case.\n"
    "Exit: 0 / 99 as above, 100 bad usage or SENDER not set, 111 temporary trouble.\n";

int usage() {
    std::fputs("ezmlm-issubn: usage: ezmlm-issubn [-nN] dir [dir1 ...]\n", stderr);
    return 100;
}

} // namespace

int main(int argc, char** argv) {
    if (qm::lists::cli::help_requested(argc, argv, help))
        return 0;
    try {
        const char* sender = std::getenv("SENDER");
        if (!sender)
            return qm::lists::cli::fatal("ezmlm-issubn", qm::perm("5.3.5", "SENDER not set"));
        bool reverse = false;
        int opt;
        while ((opt = ::getopt(argc, argv, "nN")) != -1) {
            if (opt == 'n')
                reverse = true;
            else if (opt == 'N')
                reverse = false;
            else
                return usage();
        }
        if (optind >= argc)
            return usage();
        for (int i = optind; i < argc; ++i) {
            if (argv[i][0] != '/')
                return qm::lists::cli::fatal("ezmlm-issubn",
                                             qm::perm("5.3.5", "dir must start with slash"));
            auto r = qm::lists::is_subscriber(argv[i], sender);
            if (!r)
                return qm::lists::cli::fatal("ezmlm-issubn", r.error());
            if (*r)
                return reverse ? 99 : 0;
        }
        return reverse ? 0 : 99;
    } catch (const std::bad_alloc&) {
        return qm::lists::cli::fatal("ezmlm-issubn", qm::temp("4.3.0", "out of memory"));
    }
}

// ezmlm-clean [-rR] dir: returns posts the moderators left unanswered and removes stale
// files from the moderation queue (ezmlm-clean(1)).
#include "qm/lists/cli.hpp"
#include "qm/lists/moderation.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <new>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-clean [-rR] dir\n"
    "Run from the list's editor, moderator and confirmer: |ezmlm-clean /path/list || exit 0\n"
    "Posts held in dir/mod/pending longer than dir/modtime hours (default 120, at least\n"
    "24, at most 240) go back to their posters with text/mod-timeout and are removed;\n"
    "old files in dir/mod/accepted, rejected and unconfirmed are removed (posts nobody\n"
    "confirmed, ezmlm-make -y, without mailing anyone). Read-only files are left alone.\n"
    "  -r  return timed-out posts (the default unless dir/noreturnposts exists)\n"
    "  -R  remove them without returning them\n"
    "Environment: QMAILHOME, QMAILQUEUE; QM_LISTS_NOW (tests).\n"
    "Exit: 0 done, 100 bad usage, 111 temporary trouble (what was not returned stays).\n";

int usage() {
    std::fputs("ezmlm-clean: usage: ezmlm-clean [-rR] dir\n", stderr);
    return 100;
}

} // namespace

int main(int argc, char** argv) {
    if (qm::lists::cli::help_requested(argc, argv, help))
        return 0;
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
    try {
        std::optional<bool> return_posts;
        int opt;
        while ((opt = ::getopt(argc, argv, "rR")) != -1) {
            if (opt == 'r')
                return_posts = true;
            else if (opt == 'R')
                return_posts = false;
            else
                return usage();
        }
        if (optind + 1 != argc)
            return usage();
        auto cleaned = qm::lists::clean_moderation_queue(argv[optind], return_posts);
        if (!cleaned)
            return qm::lists::cli::fatal("ezmlm-clean", cleaned.error());
        if (cleaned->removed)
            std::fprintf(stderr, "ezmlm-clean: info: returned %zu, removed %zu\n",
                         cleaned->returned, cleaned->removed);
        return 0;
    } catch (const std::bad_alloc&) {
        return qm::lists::cli::fatal("ezmlm-clean", qm::temp("4.3.0", "out of memory"));
    }
}

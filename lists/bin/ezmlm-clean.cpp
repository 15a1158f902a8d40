// ezmlm-clean [-mMrRvV] dir: returns posts the moderators left unanswered and removes stale
// files from the moderation queue (ezmlm-clean(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/moderate/moderation.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <optional>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-clean [-mMrRvV] dir\n"
    "Run from the list's editor, moderator and confirmer: |ezmlm-clean /path/list || exit 0\n"
    "Posts held in dir/mod/pending longer than dir/modtime hours (default 120, at least\n"
    "24, at most 240) go back to their posters with text/mod-timeout and are removed;\n"
    "old files in dir/mod/accepted, rejected and unconfirmed are removed (posts nobody\n"
    "confirmed, ezmlm-make -y, without mailing anyone). Read-only files are left alone.\n"
    "  -r  return timed-out posts (the default unless dir/noreturnposts exists)\n"
    "  -R  remove them without returning them\n"
    "  -M  the post appended to the notice's text    -m  enclosed (default)\n"
    "  -v, -V  the version\n"
    "Environment: QMAILHOME, QMAILQUEUE; QM_LISTS_NOW (tests).\n"
    "Exit: 0 done, 100 bad usage, 111 temporary trouble (what was not returned stays).\n";

constexpr std::string_view synopsis = "[-mMrRvV] dir";

int clean(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
    std::optional<bool> return_posts;
    qm::program::Options options(qm::program::Order::anywhere);
    bool asked_version = false;
    bool append = false;
    options.set('r', return_posts, true)
        .set('R', return_posts, false)
        .set('m', append, false)
        .set('M', append, true);
    cli::declare_version(options, asked_version);
    auto dirs = options.parse(args);
    if (!dirs)
        return cli::usage("ezmlm-clean", synopsis, dirs.error());
    if (asked_version)
        return cli::version();
    if (dirs->size() != 1)
        return cli::usage("ezmlm-clean", synopsis);
    auto cleaned = qm::lists::clean_moderation_queue(dirs->front(), return_posts, append);
    if (!cleaned)
        return cli::fatal("ezmlm-clean", cleaned.error());
    if (cleaned->removed)
        std::fprintf(stderr, "ezmlm-clean: info: returned %zu, removed %zu\n", cleaned->returned,
                     cleaned->removed);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-clean", argc, argv, help, clean);
}

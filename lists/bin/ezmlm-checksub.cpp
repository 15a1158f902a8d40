// ezmlm-checksub [-nN] [-m message] dir [subdir ...]: refuses a post unless $SENDER is a
// subscriber (or, -n, if it is one), as ezmlm-idx 7's editor runs it (ezmlm-checksub(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/subscribers.hpp"

#include <cstdio>

namespace {

constexpr std::string_view synopsis = "[-nNvV] [-m message] dir [subdir ...]";

constexpr std::string_view help =
    "usage: ezmlm-checksub [-nNvV] [-m message] dir [subdir ...]\n"
    "In a list's editor, before ezmlm-store or ezmlm-send:\n"
    "  |ezmlm-checksub /l . digest allow mod && ezmlm-store /l\n"
    "  |ezmlm-checksub -n /l deny\n"
    "Exits 0 if $SENDER is subscribed to any of the databases named (-N, the default), or\n"
    "to none of them (-n); otherwise it prints why on standard output (qmail-local puts\n"
    "it in the bounce) and exits 100. dir alone: the list in dir; dir and subdirs: its\n"
    "sub-databases by name (. is the list itself), as ezmlm-issubn takes them.\n"
    "  -m message  say message instead of ezmlm-idx 7's wording\n"
    "  -v, -V      the version\n"
    "Exit: 0 acceptable, 100 refused or bad usage, 111 temporary trouble.\n";

// The reasons, in our words, for ezmlm-idx 7's two (TXT_ONLY_SUBSCRIBERS and
// TXT_REJECT_POSTS); both name the list owner, who can help.
std::string default_reason(bool only_subscribers, const qm::lists::ListInfo& list) {
    const std::string owner = list.outlocal + "-owner@" + list.outhost;
    if (only_subscribers)
        return "Sorry, this list takes posts from its subscribers only. If you are subscribed "
               "under another address, forward this message to " +
               owner + " to have this one added.";
    return "Sorry, posts from your address are not accepted on this list. Write to " + owner +
           " with any questions.";
}

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-checksub", argc, argv, help, [](qm::program::Words args) {
        bool only_subscribers = true;
        bool asked_version = false;
        std::optional<std::string> message;
        qm::program::Options options(qm::program::Order::anywhere);
        options.set('n', only_subscribers, false).set('N', only_subscribers, true);
        options.argument(
            'm',
            [&message](const std::string& m) {
                message = m;
                return true;
            },
            "a message");
        cli::declare_version(options, asked_version);
        auto dirs = options.parse(args);
        if (!dirs)
            return cli::usage("ezmlm-checksub", synopsis, dirs.error());
        if (asked_version)
            return cli::version();
        if (dirs->empty())
            return cli::usage("ezmlm-checksub", synopsis);
        // ezmlm-idx 7 wants SENDER before anything else.
        auto sender = cli::sender();
        if (!sender)
            return cli::fatal("ezmlm-checksub", qm::perm("5.3.5", "SENDER not set"));
        auto list = qm::lists::read_list(dirs->front());
        if (!list)
            return cli::fatal("ezmlm-checksub", list.error());
        auto dbs = cli::databases(dirs->front(), {dirs->begin() + 1, dirs->end()});
        if (!dbs)
            return cli::fatal("ezmlm-checksub", dbs.error());
        bool subscribed = false;
        for (const auto& db : *dbs) {
            auto r = qm::lists::is_subscriber(db, *sender);
            if (!r)
                return cli::fatal("ezmlm-checksub", r.error());
            if (*r) {
                subscribed = true;
                break;
            }
        }
        if (subscribed == only_subscribers)
            return 0;
        const std::string reason = message ? *message : default_reason(only_subscribers, *list);
        std::printf("%s\n", reason.c_str());
        return 100;
    });
}

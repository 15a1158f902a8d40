// ezmlm-store dir: holds the post on stdin for its sender's confirmation or the list's
// moderators, or distributes it at once when the list is neither (ezmlm-store(1)).
#include "qm/fd.hpp"
#include "qm/lists/cli.hpp"
#include "qm/lists/moderation.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <new>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-store dir\n"
    "Run from the list's editor (dir/modpost or confirmpost): |ezmlm-store /path/list\n"
    "Stores the post on stdin as dir/mod/pending/T.P and mails every moderator (the\n"
    "subscribers of dir/mod, or of the database dir/modpost names) a request with the\n"
    "post enclosed, Reply-To list-accept-T.P.COOKIE@host and From\n"
    "list-reject-T.P.COOKIE@host. A moderator's own post goes only to that moderator.\n"
    "With dir/modpostonly, posts from anyone but a moderator are refused. Without\n"
    "dir/modpost the post goes straight to the subscribers, as ezmlm-send does.\n"
    "With dir/confirmpost (ezmlm-make -y), moderated or not, the post first waits in\n"
    "dir/mod/unconfirmed/T.P and the sender gets a request to confirm it, Reply-To and\n"
    "From list-confirm-T.P.COOKIE@host, naming list-discard-T.P.COOKIE@host; ezmlm-confirm\n"
    "handles the answer. Posts without a sender address are then refused.\n"
    "Refuses bounces and posts that carry Mailing-List or our Delivered-To line.\n"
    "Environment: SENDER; QMAILHOME, QMAILQUEUE; QM_LISTS_NOW (tests).\n"
    "Exit: 0 held (or sent), 100 refused (the sender gets the reason), 111 temporary\n"
    "trouble (nothing held; also when the list has no moderators).\n";

} // namespace

int main(int argc, char** argv) {
    if (qm::lists::cli::help_requested(argc, argv, help))
        return 0;
    if (argc != 2) {
        std::fputs("ezmlm-store: usage: ezmlm-store dir\n", stderr);
        return 100;
    }
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
    try {
        const char* sender = std::getenv("SENDER");
        auto message = qm::read_all(0);
        if (!message)
            return qm::lists::cli::fatal(
                "ezmlm-store", qm::temp("4.3.0", "unable to read input: " + message.error().text));
        auto stored = qm::lists::store_post(
            argv[1], sender ? std::optional<std::string>(sender) : std::nullopt, *message);
        if (!stored)
            return qm::lists::cli::fatal("ezmlm-store", stored.error());
        if (stored->unconfirmed)
            std::fprintf(stderr, "ezmlm-store: info: %s waits for its sender to confirm, qp %d\n",
                         stored->name.text().c_str(), static_cast<int>(stored->qp));
        else if (stored->held)
            std::fprintf(stderr, "ezmlm-store: info: held %s for %zu moderator(s), qp %d\n",
                         stored->name.text().c_str(), stored->moderators,
                         static_cast<int>(stored->qp));
        else
            std::fprintf(stderr, "ezmlm-store: info: not moderated: sent as message %lu\n",
                         stored->sent.number);
        return 0;
    } catch (const std::bad_alloc&) {
        return qm::lists::cli::fatal("ezmlm-store", qm::temp("4.3.0", "out of memory"));
    }
}

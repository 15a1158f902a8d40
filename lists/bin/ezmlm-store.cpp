// ezmlm-store dir: holds the post on stdin for its sender's confirmation or the list's
// moderators, or distributes it at once when the list is neither (ezmlm-store(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/moderate/moderation.hpp"

#include <cstdio>

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
    namespace cli = qm::lists::cli;
    return cli::run_on_message(
        "ezmlm-store", argc, argv, help, [](const std::string& dir, const std::string& message) {
            auto stored = qm::lists::store_post(dir, cli::sender(), message);
            if (!stored)
                return cli::fatal("ezmlm-store", stored.error());
            if (stored->unconfirmed)
                std::fprintf(stderr,
                             "ezmlm-store: info: %s waits for its sender to confirm, qp %d\n",
                             stored->name.text().c_str(), static_cast<int>(stored->qp));
            else if (stored->held)
                std::fprintf(stderr, "ezmlm-store: info: held %s for %zu moderator(s), qp %d\n",
                             stored->name.text().c_str(), stored->moderators,
                             static_cast<int>(stored->qp));
            else
                std::fprintf(stderr, "ezmlm-store: info: not moderated: sent as message %lu\n",
                             stored->sent.number);
            return 0;
        });
}

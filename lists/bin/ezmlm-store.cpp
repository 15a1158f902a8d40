// ezmlm-store [-bBcCmMpPrRsSvVyY] dir: holds the post on stdin for its sender's
// confirmation or the list's moderators, or distributes it at once when the list is
// neither (ezmlm-store(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/moderate/moderation.hpp"

#include <cstdio>

namespace {

constexpr std::string_view synopsis = "[-bBcCmMpPrRsSvVyY] dir";
constexpr std::string_view help =
    "usage: ezmlm-store [-bBcCmMpPrRsSvVyY] dir\n"
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
    "Switches (ezmlm-idx 7's):\n"
    "  -P / -p  only moderators may post, as with dir/modpostonly / anyone may\n"
    "  -y / -Y  ask the poster to confirm, as with dir/confirmpost / do not ask, whatever\n"
    "           dir/confirmpost says (for a store after the confirmation)\n"
    "  -s / -S  a post from the dir/modpost database goes to its poster alone, others'\n"
    "           go to dir/mod's moderators / that database for both (default)\n"
    "  -B / -b  enclose only the post's header in the moderators' request / all of it\n"
    "  -M / -m  the post appended to the request's text / as a MIME enclosure (default)\n"
    "  -r -R -c -C  passed on to the sending, as ezmlm-send takes them; -v, -V: the version\n"
    "Environment: SENDER; QMAILHOME, QMAILQUEUE; QM_LISTS_NOW (tests).\n"
    "Exit: 0 held (or sent), 100 refused (the sender gets the reason), 111 temporary\n"
    "trouble (nothing held; also when the list has no moderators).\n";

int store(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    qm::lists::StoreOptions store;
    bool asked_version = false;
    bool ignored = false;
    qm::program::Options options(qm::program::Order::anywhere);
    qm::lists::declare_store_switches(options, store, ignored);
    options.set('B', store.header_only, true).set('b', store.header_only, false);
    cli::declare_version(options, asked_version);
    auto dirs = options.parse(args);
    if (!dirs)
        return cli::usage("ezmlm-store", synopsis, dirs.error());
    if (asked_version)
        return cli::version();
    if (dirs->size() != 1)
        return cli::usage("ezmlm-store", synopsis);
    cli::prepare_to_queue();
    auto message = cli::read_message();
    if (!message)
        return cli::fatal("ezmlm-store", message.error());
    auto stored = qm::lists::store_post(dirs->front(), cli::sender(), *message, store);
    if (!stored)
        return cli::fatal("ezmlm-store", stored.error());
    if (stored->unconfirmed)
        std::fprintf(stderr, "ezmlm-store: info: %s waits for its sender to confirm, qp %d\n",
                     stored->name.text().c_str(), static_cast<int>(stored->qp));
    else if (stored->held)
        std::fprintf(stderr, "ezmlm-store: info: held %s for %zu moderator(s), qp %d\n",
                     stored->name.text().c_str(), stored->moderators, static_cast<int>(stored->qp));
    else
        std::fprintf(stderr, "ezmlm-store: info: not moderated: sent as message %lu\n",
                     stored->sent.number);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-store", argc, argv, help, store);
}

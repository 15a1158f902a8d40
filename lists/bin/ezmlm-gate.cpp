// ezmlm-gate [-0cCmpPQrRsSvVyY] dir [subdir ...]: posts from members of the databases go
// straight out, the rest are held for the moderators (ezmlm-gate(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/subscribers.hpp"
#include "qm/lists/moderate/moderation.hpp"

#include <cstdio>
#include <cstdlib>

namespace {

constexpr std::string_view synopsis = "[-0cCmpPQrRsSvVyY] dir [subdir ...]";
constexpr std::string_view help =
    "usage: ezmlm-gate [-0cCmpPQrRsSvVyY] dir [subdir ...]\n"
    "Run from the editor of a list that takes subscribers' posts directly and moderates\n"
    "everyone else's (ezmlm-make -um): |ezmlm-gate /l . digest allow mod\n"
    "If $SENDER is in any of the databases named (default: dir itself), the post on\n"
    "stdin is distributed as ezmlm-send does; otherwise it is held for the moderators as\n"
    "ezmlm-store does, whether or not dir/modpost exists. With dir/confirmpost its\n"
    "sender is first asked to confirm it, as ezmlm-store does (ezmlm-make -umy).\n"
    "The databases: subdirs by name under dir (digest, allow, mod; . is the list\n"
    "itself), as ezmlm-idx 7 has them, or, when every word is an absolute path, each\n"
    "word a database of its own (ezmlm 0.53: /l /l /l/allow).\n"
    "Switches (ezmlm-idx 7's):\n"
    "  -p -P -s -S -y -Y -m  as ezmlm-store takes them (-M is not supported yet)\n"
    "  -r -R -c -C -Q        as ezmlm-send takes them (-c -C -Q: ignored)\n"
    "  -0   do nothing: print on stdout which program the post would go to\n"
    "  -q file  arbitration programs: not supported yet; -v, -V: the version\n"
    "Environment: SENDER; QMAILHOME, QMAILQUEUE; QM_LISTS_NOW (tests).\n"
    "Exit: 0 sent or held, 100 refused (the sender gets the reason), 111 temporary\n"
    "trouble.\n";

int gate(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    qm::lists::StoreOptions store;
    bool asked_version = false;
    bool ignored = false;
    bool dry_run = false;
    std::string not_yet;
    // Options end at dir: the subdirs are names, never switches.
    qm::program::Options options(qm::program::Order::options_first);
    options.set('P', store.modpostonly, true)
        .set('p', store.modpostonly, false)
        .set('y', store.confirmpost, true)
        .set('Y', store.confirmpost, false)
        .set('s', store.split_moderators, true)
        .set('S', store.split_moderators, false)
        .set('m', ignored, true)
        .set('r', store.send.drop_received, false)
        .set('R', store.send.drop_received, true)
        .set('c', ignored, true)
        .set('C', ignored, true)
        .set('Q', ignored, true)
        .set('0', dry_run, true)
        .argument(
            'q',
            [&not_yet](const std::string&) {
                if (not_yet.empty())
                    not_yet = "-q";
                return true;
            },
            "a file of programs");
    cli::declare_not_yet(options, "M", not_yet);
    cli::declare_version(options, asked_version);
    auto words = options.parse(args);
    if (!words)
        return cli::usage("ezmlm-gate", synopsis, words.error());
    if (asked_version)
        return cli::version();
    if (!not_yet.empty())
        return cli::refuse_not_yet("ezmlm-gate", not_yet);
    if (words->empty())
        return cli::usage("ezmlm-gate", synopsis);
    const std::string& dir = words->front();
    // Without subdirs, dir's own subscribers, as ezmlm 0.53 had it.
    auto dbs = cli::databases(dir, {words->begin() + 1, words->end()});
    if (!dbs)
        return cli::fatal("ezmlm-gate", dbs.error());
    const auto sender = cli::sender();
    if (dry_run) {
        bool member = false;
        for (const auto& db : *dbs) {
            auto r = sender ? qm::lists::is_subscriber(db, *sender) : qm::Result<bool>(false);
            if (!r)
                return cli::fatal("ezmlm-gate", r.error());
            member = member || *r;
        }
        std::printf("%s %s\n", member ? "ezmlm-send" : "ezmlm-store", dir.c_str());
        return 0;
    }
    cli::prepare_to_queue();
    auto message = cli::read_message();
    if (!message)
        return cli::fatal("ezmlm-gate", message.error());
    auto stored = qm::lists::gate_post(dir, *dbs, sender, *message, store);
    if (!stored)
        return cli::fatal("ezmlm-gate", stored.error());
    if (stored->unconfirmed)
        std::fprintf(stderr, "ezmlm-gate: info: %s waits for its sender to confirm, qp %d\n",
                     stored->name.text().c_str(), static_cast<int>(stored->qp));
    else if (stored->held)
        std::fprintf(stderr, "ezmlm-gate: info: held %s for %zu moderator(s), qp %d\n",
                     stored->name.text().c_str(), stored->moderators, static_cast<int>(stored->qp));
    else
        std::fprintf(stderr, "ezmlm-gate: info: from a member: sent as message %lu\n",
                     stored->sent.number);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-gate", argc, argv, help, gate);
}

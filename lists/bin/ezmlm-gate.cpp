// ezmlm-gate dir [db ...]: posts from members of the databases go straight out, the rest
// are held for the moderators (ezmlm-gate(1)).
#include "qm/fd.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/moderate/moderation.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-gate dir [db ...]\n"
    "Run from the editor of a list that takes subscribers' posts directly and moderates\n"
    "everyone else's (ezmlm-make -um): |ezmlm-gate /l /l /l/allow\n"
    "If $SENDER is in any database db (default: dir itself), the post on stdin is\n"
    "distributed as ezmlm-send does; otherwise it is held for the moderators as\n"
    "ezmlm-store does, whether or not dir/modpost exists. With dir/confirmpost its\n"
    "sender is first asked to confirm it, as ezmlm-store does (ezmlm-make -umy).\n"
    "Environment: SENDER; QMAILHOME, QMAILQUEUE; QM_LISTS_NOW (tests).\n"
    "Exit: 0 sent or held, 100 refused (the sender gets the reason), 111 temporary\n"
    "trouble.\n";

int gate(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    if (args.empty())
        return cli::usage("ezmlm-gate", "dir [db ...]");
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> dbs(args.begin() + 1, args.end());
    if (dbs.empty())
        dbs.push_back(args[0]);
    for (const auto& db : dbs)
        if (db.empty() || db.front() != '/')
            return cli::fatal("ezmlm-gate", qm::perm("5.3.5", "db must start with slash"));
    const char* sender = std::getenv("SENDER");
    auto message = qm::read_all(0);
    if (!message)
        return cli::fatal("ezmlm-gate",
                          qm::temp("4.3.0", "unable to read input: " + message.error().text));
    auto stored = qm::lists::gate_post(
        args[0], dbs, sender ? std::optional<std::string>(sender) : std::nullopt, *message);
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
    // No options, as in ezmlm: dir, then the databases.
    return qm::lists::cli::run("ezmlm-gate", argc, argv, help, gate);
}

// ezmlm-split dir: in the main list's manager, before ezmlm-manage, hands subscribe and
// unsubscribe requests for addresses that a dir/split rule gives to a sublist over to that
// sublist (ezmlm-split(1)).
#include "qm/envelope.hpp"
#include "qm/fd.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/sublist.hpp"
#include "qm/queue_client.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-split dir\n"
    "Run from the list's manager file before ezmlm-manage: |ezmlm-split /path/list\n"
    "For a request list-subscribe[-box=domain] or list-unsubscribe[-box=domain] (the\n"
    "verb from $DEFAULT; without box=domain the target is $SENDER) whose target a\n"
    "dir/split rule (domain:sublist@host or domain:lo:hi:sublist@host) matches, queues\n"
    "the request unchanged to sublist-subscribe-box=domain@host (or -unsubscribe-) with\n"
    "the same envelope sender, so the sublist's own handshake takes over. Other requests\n"
    "and addresses no rule matches go on to the next line of the manager file;\n"
    "without dir/split it exits 0 at once (ezmlm-make puts it in every manager).\n"
    "Environment: DEFAULT, SENDER; QMAILHOME, QMAILQUEUE.\n"
    "Exit: 99 forwarded (stop here), 0 not for a sublist (go on), 100 bad usage,\n"
    "111 temporary trouble (a bad dir/split included; the request is retried).\n";

int split(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    if (args.size() != 1)
        return cli::usage("ezmlm-split", "dir");
    const std::string& dir = args[0];
    ::signal(SIGPIPE, SIG_IGN);
    // ezmlm-make puts us in every list's manager: a list without dir/split (most) must
    // cost one stat and get on to ezmlm-manage.
    struct stat st {};
    if (::stat((dir + "/split").c_str(), &st) != 0 && errno == ENOENT)
        return 0;
    const char* request = std::getenv("DEFAULT");
    const char* sender = std::getenv("SENDER");
    if (!request || !sender)
        return cli::fatal("ezmlm-split", qm::perm("5.3.5", "DEFAULT and SENDER must be set (run "
                                                           "me from the list's manager file)"));
    auto rules = qm::lists::read_split(dir);
    if (!rules)
        return cli::fatal("ezmlm-split", rules.error());
    auto to = qm::lists::split_request(*rules, request, sender);
    if (!to)
        return 0;
    auto message = qm::read_all(0);
    if (!message)
        return cli::fatal("ezmlm-split",
                          qm::temp("4.3.0", "unable to read input: " + message.error().text));
    qm::Envelope env{sender, {*to}};
    auto queued = qm::queue_message(*message, env);
    if (!queued)
        return cli::fatal("ezmlm-split", queued.error());
    std::fprintf(stderr, "ezmlm-split: info: forwarded to %s qp %d\n", to->c_str(),
                 static_cast<int>(queued->qp));
    return 99;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-split", argc, argv, help, split);
}

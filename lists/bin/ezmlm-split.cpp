// ezmlm-split [-dDvV] dir [splitfile]: in the main list's manager, before ezmlm-manage, hands
// subscribe and unsubscribe requests for addresses that a dir/split rule gives to a sublist over to
// that sublist (ezmlm-split(1)).
#include "qm/envelope.hpp"
#include "qm/fd.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/listdir.hpp"
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
    "usage: ezmlm-split [-dDvV] dir [splitfile]\n"
    "Run from the list's manager file before ezmlm-manage: |ezmlm-split /path/list\n"
    "For a request list-subscribe[-box=domain] or list-unsubscribe[-box=domain] (the\n"
    "verb from $DEFAULT; without box=domain the target is $SENDER) whose target a\n"
    "dir/split rule (domain:sublist@host or domain:lo:hi:sublist@host) matches, queues\n"
    "the request unchanged to sublist-subscribe-box=domain@host (or -unsubscribe-) with\n"
    "the same envelope sender, so the sublist's own handshake takes over. Other requests\n"
    "and addresses no rule matches go on to the next line of the manager file;\n"
    "without dir/split it exits 0 at once (ezmlm-make puts it in every manager).\n"
    "splitfile: rules from that file instead of dir/split (relative to dir).\n"
    "-D: no request; reads addresses from stdin, one a line (blank lines and # comments\n"
    "skipped), and prints \"list@host: address\" for each, list@host being the sublist\n"
    "a rule gives it to, else this list: for sorting subscribers into sublists.\n"
    "-d: handle the request (the default). -v, -V: the version.\n"
    "Environment: DEFAULT, SENDER; QMAILHOME, QMAILQUEUE.\n"
    "Exit: 99 forwarded (stop here), 0 not for a sublist (go on), 100 bad usage,\n"
    "111 temporary trouble (a bad dir/split included; the request is retried).\n";

constexpr std::string_view synopsis = "[-dDvV] dir [splitfile]";

// -D: where each address on stdin would go.
int sort_addresses(const std::string& dir, const std::string& splitfile) {
    namespace cli = qm::lists::cli;
    auto rules = qm::lists::read_split(dir, splitfile);
    if (!rules)
        return cli::fatal("ezmlm-split", rules.error());
    auto list = qm::lists::read_list(dir);
    if (!list)
        return cli::fatal("ezmlm-split", list.error());
    auto input = qm::read_all(0);
    if (!input)
        return cli::fatal("ezmlm-split",
                          qm::temp("4.3.0", "unable to read input: " + input.error().text));
    std::string out;
    std::string_view rest = *input;
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        if (line.empty() || line.front() == '#')
            continue;
        if (line.find('@') == std::string_view::npos)
            return cli::fatal("ezmlm-split", qm::perm("5.1.3", "address does not contain @: " +
                                                                   std::string(line)));
        auto to = qm::lists::split_target(*rules, line);
        out += (to ? *to : list->address()) + ": " + std::string(line) + "\n";
    }
    if (auto w = qm::write_all(1, out); !w)
        return cli::fatal("ezmlm-split", w.error());
    return 0;
}

int split(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    bool handle = true;
    bool asked_version = false;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('d', handle, true).set('D', handle, false);
    cli::declare_version(options, asked_version);
    auto words = options.parse(args);
    if (!words)
        return cli::usage("ezmlm-split", synopsis, words.error());
    if (asked_version)
        return cli::version();
    if (words->empty() || words->size() > 2)
        return cli::usage("ezmlm-split", synopsis);
    const std::string& dir = words->front();
    const std::string splitfile =
        words->size() == 2 && !(*words)[1].empty() ? (*words)[1] : "split";
    if (!handle)
        return sort_addresses(dir, splitfile);
    ::signal(SIGPIPE, SIG_IGN);
    // ezmlm-make puts us in every list's manager: a list without dir/split (most) must
    // cost one stat and get on to ezmlm-manage.
    struct stat st {};
    const std::string split_path = splitfile.starts_with("/") ? splitfile : dir + "/" + splitfile;
    if (::stat(split_path.c_str(), &st) != 0 && errno == ENOENT)
        return 0;
    const char* request = std::getenv("DEFAULT");
    const char* sender = std::getenv("SENDER");
    if (!request || !sender)
        return cli::fatal("ezmlm-split", qm::perm("5.3.5", "DEFAULT and SENDER must be set (run "
                                                           "me from the list's manager file)"));
    auto rules = qm::lists::read_split(dir, splitfile);
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

// ezmlm-request [-f config] dir: the list-request@ robot (ezmlm-request(1)), first in a
// list's manager: a command in the Subject or body of a message to list-request is sent
// on to the command address it names, for ezmlm-manage or ezmlm-get to answer.
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/parsed_post.hpp"
#include "qm/lists/manage/request.hpp"
#include "qm/queue_client.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr std::string_view synopsis = "[-vV] dir";

constexpr std::string_view help =
    "usage: ezmlm-request [-vV] dir\n"
    "In the list's manager, before ezmlm-manage: |ezmlm-request /l\n"
    "Answers list-request@host ($DEFAULT request; anything else is not for it: exit 0).\n"
    "The command is the Subject, or the first body line starting with a letter when the\n"
    "Subject does not: a command address (list-subscribe-joe=far.example) or words\n"
    "(\"subscribe\", \"unsub joe@far.example\", \"get.12_14\"); none means help. Aliases as\n"
    "ezmlm-idx 7: sub; unsub, signoff, remove; ind; list for recipients, showdist,\n"
    "review, rev, who; system, put, set, lists and which get help. The message goes on,\n"
    "from the sender, to list-command-user=host@host (the user: the sender unless named),\n"
    "without the fields in dir/headerremove (only those in dir/headerkeep, if it exists).\n"
    "  -f config  ezmlm-idx 7's global interface: not supported yet (refused)\n"
    "  -v, -V     the version\n"
    "Environment: SENDER, DEFAULT (qmail-local's).\n"
    "Exit: 99 sent on (the rest of the manager is skipped), 0 not for it, 99 also for a\n"
    "bounce or a sender without host (ignored), 100 bad request or usage, 111 temporary\n"
    "trouble.\n";

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

int ignore(const char* why) {
    std::fprintf(stderr, "ezmlm-request: info: %s\n", why);
    return 99;
}

// The header without the fields the list strips (headerremove), or with only those it
// keeps (headerkeep, when the list has one), then the body.
std::string forwarded(const qm::lists::ParsedPost& message, const std::vector<std::string>& names,
                      bool keep_only) {
    std::string out;
    for (const auto& f : message.fields) {
        const bool named = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
            return strcasecmp(n.c_str(), f.name.c_str()) == 0;
        });
        if (named == keep_only)
            out += f.text;
    }
    return out + message.separator + message.body;
}

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-request", argc, argv, help, [](qm::program::Words args) {
        bool asked_version = false;
        std::string not_yet;
        qm::program::Options options(qm::program::Order::anywhere);
        cli::declare_not_yet(options, "fF", not_yet);
        cli::declare_version(options, asked_version);
        auto dirs = options.parse(args);
        if (!dirs)
            return cli::usage("ezmlm-request", synopsis, dirs.error());
        if (asked_version)
            return cli::version();
        if (!not_yet.empty())
            return cli::refuse_not_yet("ezmlm-request", not_yet);
        if (dirs->size() != 1)
            return cli::usage("ezmlm-request", synopsis);
        const std::string& dir = dirs->front();
        const char* def = std::getenv("DEFAULT");
        if (!def)
            return cli::fatal("ezmlm-request",
                              qm::perm("5.3.5", "DEFAULT not set and -f not used"));
        std::string_view action = def;
        if (!starts_with_ignoring_case(action, "request"))
            return 0; // another command: for the programs after us in the manager
        action.remove_prefix(7);
        if (!action.empty() && action.front() == '-')
            action.remove_prefix(1);
        // A bounce of our own mail: nothing to answer, and nothing for the rest of the
        // manager either (ezmlm-idx 7 exits 99 here too, having sent it on to a
        // list--return-... address that does not exist).
        if (starts_with_ignoring_case(action, "return"))
            return ignore("bounce message");
        auto sender = cli::sender();
        if (!sender)
            return ignore("SENDER not set");
        if (sender->empty() || *sender == "#@[]")
            return ignore("I do not reply to bounce messages");
        if (sender->find('@') == std::string::npos)
            return ignore("I do not reply to senders without host names");
        auto list = qm::lists::read_list(dir);
        if (!list)
            return cli::fatal("ezmlm-request", list.error());
        cli::prepare_to_queue();
        auto text = cli::read_message();
        if (!text)
            return cli::fatal("ezmlm-request", text.error());
        const qm::lists::ParsedPost message(*text);
        const std::string delivered_to = "Delivered-To: request processor for " + list->address();
        qm::Result<qm::lists::RequestCommand> request =
            action.empty() ? qm::lists::request_from_message(message, list->outlocal, delivered_to)
                           // list-request-command-user=host: the command in the address.
                           : qm::lists::parse_request_line(
                                 list->outlocal + "-" + std::string(action), list->outlocal);
        if (!request)
            return cli::fatal("ezmlm-request", request.error());
        const std::string to =
            qm::lists::request_target(*request, *sender, list->outlocal, list->outhost);
        auto keep = qm::lists::read_lines(dir, "headerkeep");
        if (!keep)
            return cli::fatal("ezmlm-request", keep.error());
        const bool keep_only = qm::lists::has_flag(dir, "headerkeep");
        auto names = keep_only ? keep : qm::lists::read_lines(dir, "headerremove");
        if (!names)
            return cli::fatal("ezmlm-request", names.error());
        auto queued = qm::queue_message(delivered_to + "\n" + forwarded(message, *names, keep_only),
                                        qm::Envelope{*sender, {to}});
        if (!queued)
            return cli::fatal("ezmlm-request", queued.error());
        std::fprintf(stderr, "ezmlm-request: info: qp %ld\n", static_cast<long>(queued->qp));
        return 99;
    });
}

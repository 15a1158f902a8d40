// ezmlm-reject [-bBcCFhHqQsStTvV] [dir]: refuses posts the list should not distribute, as
// the first line of its editor (ezmlm-reject(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/post/reject.hpp"
#include "qm/queue_client.hpp"

#include <cstdio>

namespace {

// True if the header of message has exactly this line.
bool has_header_line(const std::string& message, const std::string& line) {
    if (line.empty())
        return false;
    size_t start = 0;
    while (start < message.size()) {
        size_t nl = message.find('\n', start);
        std::string_view l(message.data() + start,
                           (nl == std::string::npos ? message.size() : nl) - start);
        if (!l.empty() && l.back() == '\r')
            l.remove_suffix(1);
        if (l.empty())
            return false;
        if (l == line)
            return true;
        if (nl == std::string::npos)
            break;
        start = nl + 1;
    }
    return false;
}

constexpr std::string_view synopsis = "[-bBcCFhHqQsStTvV] [dir]";
constexpr std::string_view help =
    "usage: ezmlm-reject [-bBcCFhHqQsStTvV] [dir]\n"
    "Run first in the list's editor: |ezmlm-reject /path/list\n"
    "Refuses (exit 100, the poster gets the reason) a post whose body is larger than max\n"
    "or smaller than min in dir/msgsize (\"max:min\"), whose Content-Type or a part's is\n"
    "in dir/mimereject (or whose Content-Type is in dir/mimeremove, or not in\n"
    "dir/mimekeep), that has a field named in dir/headerreject, that has no Subject or\n"
    "only a command as Subject, or that names the list in neither To: nor Cc:. Broken\n"
    "MIME is refused with what is wrong. Precedence: junk or bulk: ignored (exit 99).\n"
    "  -t / -T  require / do not require the list address in To: or Cc: (default -t)\n"
    "  -q / -Q  ignore (exit 99) / refuse a post without the list address (default -Q)\n"
    "  -s / -S  require / do not require a Subject (default -s)\n"
    "  -c / -C  refuse / accept a Subject that is only a command (default -c)\n"
    "  -b / -B  also refuse a Subject or first body line starting with (un)subscribe\n"
    "           / do not (default -B)\n"
    "  -h / -H  use / ignore dir/headerreject (default -h)\n"
    "  -f / -F  send a message whose Subject is a command (with -c) on to list-request\n"
    "           (ezmlm-request answers it; exit 99) / refuse it (default -F)\n"
    "  -v, -V   the version (--help is the help: -h is the switch above)\n"
    "In a sublist (dir/sublist) every post is acceptable. Without dir only the subject,\n"
    "command and Precedence checks apply.\n"
    "Environment: SENDER.\n"
    "Exit: 0 acceptable, 99 ignore it, 100 refused, 111 temporary trouble.\n";

} // namespace

int main(int argc, char** argv) {
    namespace cli = qm::lists::cli;
    return cli::run("ezmlm-reject", argc, argv, help, [](qm::program::Words args) {
        qm::lists::RejectRules rules;
        qm::program::Options options(qm::program::Order::anywhere);
        options.set('b', rules.body_commands, true)
            .set('B', rules.body_commands, false)
            .set('c', rules.reject_commands, true)
            .set('C', rules.reject_commands, false)
            .set('h', rules.header_reject, true)
            .set('H', rules.header_reject, false)
            .set('q', rules.ignore_missing_address, true)
            .set('Q', rules.ignore_missing_address, false)
            .set('s', rules.require_subject, true)
            .set('S', rules.require_subject, false)
            .set('t', rules.require_list_address, true)
            .set('T', rules.require_list_address, false);
        bool asked_version = false;
        options.set('f', rules.forward_commands, true).set('F', rules.forward_commands, false);
        cli::declare_version(options, asked_version);
        auto dir = options.parse(args);
        if (!dir)
            return cli::usage("ezmlm-reject", synopsis, dir.error());
        if (asked_version)
            return cli::version();
        if (dir->size() > 1)
            return cli::usage("ezmlm-reject", synopsis);
        auto sender = cli::sender();
        if (!sender)
            return cli::fatal("ezmlm-reject", qm::perm("5.3.5", "SENDER not set"));
        if (sender->empty())
            return cli::fatal("ezmlm-reject",
                              qm::perm("5.7.2", "I do not reply to bounce messages"));
        if (!dir->empty())
            if (auto s = qm::lists::read_reject_rules(dir->front(), rules); !s)
                return cli::fatal("ezmlm-reject", s.error());
        if (dir->empty())
            rules.forward_commands = false; // no list, no list-request (as ezmlm-idx 7)
        cli::prepare_to_queue();
        auto message = cli::read_message();
        if (!message)
            return cli::fatal("ezmlm-reject", message.error());
        // A forwarded command that came back: ezmlm-idx 7's loop check.
        const std::string forwarder =
            rules.list ? "Delivered-To: command forwarder for " + rules.list->address() : "";
        if (rules.forward_commands && has_header_line(*message, forwarder))
            return cli::fatal("ezmlm-reject",
                              qm::perm("5.4.6", "This message is looping: it "
                                                "already has my Delivered-To line"));
        auto shape = qm::lists::parse_post(*message);
        if (!shape)
            return cli::fatal("ezmlm-reject", shape.error());
        auto verdict = qm::lists::check_post(rules, *shape);
        if (!verdict)
            return cli::fatal("ezmlm-reject", verdict.error());
        if (verdict->kind == qm::lists::PostVerdict::Kind::forward) {
            // The header only, through its empty line, as ezmlm-idx 7 forwards it (its
            // copylines 0): ezmlm-request needs no more.
            const size_t blank = message->find("\n\n");
            const std::string header =
                blank == std::string::npos ? *message : message->substr(0, blank + 2);
            auto queued = qm::queue_message(
                forwarder + "\n" + header, qm::Envelope{*sender, {rules.list->command("request")}});
            if (!queued)
                return cli::fatal("ezmlm-reject", queued.error());
            std::fprintf(stderr, "ezmlm-reject: info: forward qp %ld\n",
                         static_cast<long>(queued->qp));
            return 99;
        }
        if (verdict->kind == qm::lists::PostVerdict::Kind::ignore) {
            std::fprintf(stderr, "ezmlm-reject: info: %s\n", verdict->reason.c_str());
            return 99;
        }
        return 0;
    });
}

// ezmlm-send [-cCrRqQvV] [-h header] dir: distributes the post on stdin to the list's
// subscribers, run from the list's dot-qmail file (ezmlm-send(1)).
#include "qm/lists/core/cli.hpp"
#include "qm/lists/post/send.hpp"

#include <cstdio>

namespace {

constexpr std::string_view synopsis = "[-cCrRqQvV] [-h header] dir";
constexpr std::string_view help =
    "usage: ezmlm-send [-cCrRqQvV] [-h header] dir\n"
    "Run from the list's dot-qmail file: |ezmlm-send /path/list\n"
    "Numbers the post on stdin (dir/num), archives it in dir/archive/N/MM when\n"
    "dir/archived exists, removes the dir/headerremove fields, adds Mailing-List,\n"
    "List-Id (dir/listid), List-Post/-Help/-Subscribe/-Unsubscribe/-Owner, dir/headeradd,\n"
    "Delivered-To: mailing list and the dir/prefix subject prefix, then queues one copy\n"
    "for every subscriber with the VERP sender list-return-N-@host-@[].\n"
    "With dir/unsubscribeurl (an https base URL), one copy per subscriber instead, with\n"
    "List-Unsubscribe: <URL/unsubscribe/TOKEN>, <mailto:...> and List-Unsubscribe-Post\n"
    "(RFC 8058 one-click, the token being a cookie for that subscriber); a\n"
    "List-Unsubscribe or List-Unsubscribe-Post line in dir/headeradd is then dropped\n"
    "with a warning. Any other List-* line there replaces the generated field.\n"
    "The archived copy starts with Return-Path: <SENDER>, as ezmlm's does.\n"
    "Refuses bounces (empty SENDER or #@[]) and posts that already carry Mailing-List or\n"
    "this list's Delivered-To line (loops).\n"
    "DMARC: with dir/dmarc auto (default), From becomes \"Poster via list\" <list@host>\n"
    "and the poster goes to Reply-To (or Cc) when the From domain's _dmarc policy is\n"
    "reject or quarantine (cached in dir/dmarccache for an hour; a failed lookup counts\n"
    "as reject); always (or dir/rewritefrom) rewrites every post, never none.\n"
    "Sublists: each sublist in dir/split gets one copy instead of the subscribers its\n"
    "rule matches; with dir/sublist (the parent's address) only posts from the parent's\n"
    "return path are taken, and they keep the parent's Mailing-List.\n"
    "Switches (ezmlm-idx 7's):\n"
    "  -r / -R    keep all the post's Received fields (default) / only the first, this\n"
    "             host's (in the copies and the archive)\n"
    "  -h header  a sublist takes only posts carrying this field (what follows a colon\n"
    "             is ignored), for a parent that is not an ezmlm list\n"
    "  -c -C -q -Q  accepted and ignored, as ezmlm-idx 7 does; -v, -V: the version\n"
    "Environment: SENDER; QMAILHOME, QMAILQUEUE, QMAIL_DNS_SERVER.\n"
    "Exit: 0 queued, 100 refused (the sender gets the reason), 111 temporary trouble\n"
    "(nothing sent; num unchanged).\n";

int send(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    qm::lists::SendOptions send;
    bool asked_version = false;
    bool ignored = false;
    qm::program::Options options(qm::program::Order::anywhere);
    options.set('r', send.drop_received, false)
        .set('R', send.drop_received, true)
        .store('h', send.sublist_field, "a header field name");
    // Obsolete in ezmlm-idx 7, which accepts and ignores them.
    for (char letter : {'c', 'C', 'q', 'Q'})
        options.set(letter, ignored, true);
    cli::declare_version(options, asked_version);
    auto dirs = options.parse(args);
    if (!dirs)
        return cli::usage("ezmlm-send", synopsis, dirs.error());
    if (asked_version)
        return cli::version();
    if (dirs->size() != 1)
        return cli::usage("ezmlm-send", synopsis);
    cli::prepare_to_queue();
    auto message = cli::read_message();
    if (!message)
        return cli::fatal("ezmlm-send", message.error());
    auto sent = qm::lists::send_post(dirs->front(), cli::sender(), *message, send);
    if (!sent)
        return cli::fatal("ezmlm-send", sent.error());
    for (const auto& w : sent->warnings)
        cli::warning("ezmlm-send", w);
    if (sent->qp)
        std::fprintf(stderr, "ezmlm-send: info: qp %d\n", static_cast<int>(sent->qp));
    else
        std::fprintf(stderr, "ezmlm-send: info: message %lu has no subscribers to go to\n",
                     sent->number);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-send", argc, argv, help, send);
}

// ezmlm-return [-dDvV] dir: handles a bounce reaching the list's return address, run from
// dir/bouncer after ezmlm-weed (ezmlm-return(1)).
#include "qm/fd.hpp"
#include "qm/lists/bounce/bounce_return.hpp"
#include "qm/lists/core/cli.hpp"
#include "qm/lists/core/clock.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-return [-dDvV] dir\n"
    "Run from the list's bouncer after ezmlm-weed: |ezmlm-return /path/list\n"
    "Reads the bounce on stdin; DEFAULT (the part of list-return-DEFAULT@host\n"
    "after return-) says what bounced:\n"
    "  N-box=domain               message N to box@domain (VERP)\n"
    "  N-                         message N; the recipients come from the report\n"
    "  warn-T.COOKIE-box=domain   a warning ezmlm-warn sent\n"
    "  probe-T.COOKIE-box=domain  a probe: box@domain is unsubscribed (Log: -probe)\n"
    "  (empty)                    the list's own return address: thrown away\n"
    "The report (qmail's QSBMF or an RFC 3464 DSN) is classified per recipient.\n"
    "Only a failure of the address itself (5.1.x, 5.2.x, 5.4.4, 5.0.0, or an\n"
    "unexplained permanent failure) is recorded in dir/bounce/ for ezmlm-warn, and\n"
    "only for subscribers. Transient failures (4.x.x), policy rejections of a post\n"
    "(5.7.x, DMARC, spam) and failures of one message (5.3.4, 5.6.x) never count:\n"
    "they are noted in dir/bounce/uncounted. Cookies are valid for 3,000,000 s.\n"
    "  -d  the digest list (dir/digest)    -D  the main list (default)\n"
    "  -v, -V  the version\n"
    "Environment: SENDER, DEFAULT; QM_LISTS_NOW (the clock, for tests).\n"
    "Exit: 99 handled (qmail-local stops there), 100 not a return address of this\n"
    "list, 111 temporary trouble (the bounce is retried).\n";

int handle(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    bool digest = false;
    qm::program::Options options(qm::program::Order::anywhere);
    bool asked_version = false;
    options.set('d', digest, true).set('D', digest, false);
    cli::declare_version(options, asked_version);
    auto dirs = options.parse(args);
    if (!dirs)
        return cli::usage("ezmlm-return", "[-dDvV] dir", dirs.error());
    if (asked_version)
        return cli::version();
    if (dirs->size() != 1)
        return cli::usage("ezmlm-return", "[-dDvV] dir");
    ::umask(022);
    ::signal(SIGPIPE, SIG_IGN);
    const char* sender = std::getenv("SENDER");
    if (sender == nullptr)
        return cli::fatal("ezmlm-return",
                          qm::perm("5.3.5", "SENDER is not set: run me from a dot-qmail file"));
    const char* action = std::getenv("DEFAULT");
    if (action == nullptr)
        return cli::fatal("ezmlm-return", qm::perm("5.3.5", "DEFAULT is not set: run me from "
                                                            "dir/bouncer for list-return-default"));
    auto message = qm::read_all(0);
    if (!message)
        return cli::fatal("ezmlm-return",
                          qm::temp("4.3.0", "unable to read input: " + message.error().text));
    qm::lists::ReturnRequest req{dirs->front(),       digest,          action, sender,
                                 std::move(*message), qm::lists::now()};
    auto outcome = qm::lists::handle_return(req);
    if (!outcome)
        return cli::fatal("ezmlm-return", outcome.error());
    for (const auto& e : outcome->events)
        std::fprintf(stderr, "ezmlm-return: info: %s\n", e.c_str());
    return 99;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-return", argc, argv, help, handle);
}

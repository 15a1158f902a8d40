// ezmlm-weed: first line of a list's bouncer (and command) dot-qmail file; exits 99 for
// mail not worth reading so that qmail-local skips the lines after it (ezmlm-weed(1)).
#include "qm/fd.hpp"
#include "qm/lists/bounce/weed.hpp"
#include "qm/lists/core/cli.hpp"

#include <cstdio>

namespace {

constexpr std::string_view help =
    "usage: ezmlm-weed\n"
    "Run as the first line of the list's bouncer: |ezmlm-weed\n"
    "Reads a message on stdin and drops it (exit 99, so qmail-local skips the\n"
    "rest of the dot-qmail file) when it is not worth reading: delivery-delay and\n"
    "success notices (RFC 3464 reports without a failed recipient, qmail's success\n"
    "and deferral notices, Sendmail's warnings), vacation and other automatic\n"
    "replies (Auto-Submitted, Precedence: bulk/junk/list), and mail from other\n"
    "lists (Mailing-List, List-Id, ...). Failure reports always pass (exit 0),\n"
    "whatever else their header says.\n"
    "Exit: 0 pass it on, 99 dropped (the reason goes to stderr), 111 unable to read.\n";

int weed(qm::program::Words args) {
    namespace cli = qm::lists::cli;
    if (!args.empty())
        return cli::usage("ezmlm-weed", "");
    auto message = qm::read_all(0);
    if (!message)
        return cli::fatal("ezmlm-weed",
                          qm::temp("4.3.0", "unable to read input: " + message.error().text));
    auto decision = qm::lists::weed(*message);
    if (!decision.drop)
        return 0;
    std::fprintf(stderr, "ezmlm-weed: info: dropped: %s\n", decision.reason.c_str());
    return 99;
}

} // namespace

int main(int argc, char** argv) {
    return qm::lists::cli::run("ezmlm-weed", argc, argv, help, weed);
}

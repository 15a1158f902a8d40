// qmail-inject: reads a message on stdin, fixes its header and queues it (qmail-inject(8)).
#include "qm/fd.hpp"
#include "qm/inject/inject.hpp"
#include "qm/program.hpp"

#include <string>

namespace {

const std::string help =
    "usage: qmail-inject " + std::string(qm::inject::synopsis) + "\n" +
    "Reads a mail message on stdin, adds Date, Message-ID, From and the other fields\n"
    "qmail-header(5) requires, rewrites addresses and queues it with qmail-queue.\n"
    "  -a  recipients from the arguments only      -h  from the header only\n"
    "  -A  arguments, or the header if none (default)  -H  both\n"
    "  -n  print the message instead of queueing it  -N  queue it (default)\n"
    "  -f sender  envelope sender (overrides Return-Path, QMAILSUSER, QMAILSHOST)\n"
    "Environment: QMAILUSER MAILUSER USER LOGNAME, QMAILHOST MAILHOST, QMAILNAME MAILNAME\n"
    "NAME, QMAILSUSER QMAILSHOST, QMAILINJECT (letters c s f i r m), QMAILMFTFILE,\n"
    "QMAILDEFAULTHOST QMAILDEFAULTDOMAIN QMAILPLUSDOMAIN QMAILIDHOST, QMAILHOME.\n"
    "Exit 0 sent, 100 permanent error (usage, syntax, no recipients), 111 temporary.\n";

int die(const qm::Failure& f) {
    return qm::program::fatal("qmail-inject", f);
}

int inject(qm::program::Words args) {
    auto opt = qm::inject::parse_args(args);
    if (!opt)
        return qm::program::usage("qmail-inject", qm::inject::synopsis, opt.error());
    auto settings = qm::inject::load_settings();
    if (!settings)
        return die(settings.error());
    auto input = qm::read_all(0);
    if (!input)
        return die(qm::temp("4.3.0", "read error: " + input.error().text));
    auto prepared = qm::inject::prepare(*input, *opt, *settings);
    if (!prepared)
        return die(prepared.error());
    if (!opt->queue) {
        if (auto w = qm::write_all(1, prepared->printed()); !w)
            return die(qm::temp("4.3.0", "write error: " + w.error().text));
        return 0;
    }
    if (auto q = qm::inject::submit(*prepared); !q)
        return die(q.error());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // -h is qmail-inject's own flag (recipients from the header).
    return qm::program::run({"qmail-inject", help, qm::program::ShortHelp::never}, argc, argv,
                            inject);
}

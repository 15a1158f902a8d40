// qmail-inject: reads a message on stdin, fixes its header and queues it (qmail-inject(8)).
#include "qm/fd.hpp"
#include "qm/inject/inject.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace {

int die(const qm::Failure& f) {
    std::fprintf(stderr, "qmail-inject: fatal: %s\n", f.text.c_str());
    return qm::exit_code(f);
}

constexpr const char* help_text =
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

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "--help") {
        std::printf("usage: %s\n%s", std::string(qm::inject::usage).c_str(), help_text);
        return 0;
    }
    auto opt = qm::inject::parse_args(args);
    if (!opt) {
        std::fprintf(stderr, "qmail-inject: %s\nqmail-inject: usage: %s\n",
                     opt.error().text.c_str(), std::string(qm::inject::usage).c_str());
        return 100;
    }
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
    try {
        return run(argc, argv);
    } catch (const std::bad_alloc&) {
        return die(qm::temp("4.3.0", "out of memory"));
    } catch (const std::exception& e) {
        return die(qm::temp("4.3.0", std::string("internal error: ") + e.what()));
    }
}

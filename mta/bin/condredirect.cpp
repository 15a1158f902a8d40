// condredirect newaddress program [arg...]: if program exits 0, forwards the message to
// newaddress and stops the .qmail file (exit 99) (condredirect(1)).
#include "qm/program.hpp"
#include "qm/queue_client.hpp"
#include "qm/tools/child.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr std::string_view help =
    "usage: condredirect newaddress program [arg...]\n"
    "Runs program on the message (stdin, which must be seekable). If it exits 0,\n"
    "forwards the message to newaddress with $DTLINE on top and envelope sender\n"
    "$SENDER, prints \"condredirect: qp N\" and exits 99. 111 from program (or a\n"
    "crash) -> 111; any other exit -> 0. Forwarding trouble: 100 or 111.\n";

int die(int code, const std::string& text) {
    return qm::program::fatal("condredirect", text, code);
}

} // namespace

int main(int argc, char** argv) {
    // No options, as in qmail: the program's own flags follow the address.
    return qm::program::run({"condredirect", help}, argc, argv, [](qm::program::Words args) {
        if (args.size() < 2)
            return qm::program::usage("condredirect", "newaddress program [ arg ... ]");
        auto matched = qm::tools::run_condition({args.begin() + 1, args.end()});
        if (!matched)
            return die(111, matched.error().text);
        if (!*matched)
            return 0;
        // The program read the message; forward it from the start.
        if (::lseek(0, 0, SEEK_SET) < 0)
            return die(111, std::string("unable to rewind: ") + std::strerror(errno));
        const char* sender = std::getenv("SENDER");
        if (!sender)
            return die(100, "SENDER not set");
        const char* dtline = std::getenv("DTLINE");
        if (!dtline)
            return die(100, "DTLINE not set");
        auto queued = qm::queue_message_fd(dtline, 0, qm::Envelope{sender, {args[0]}});
        if (!queued)
            return qm::program::fatal("condredirect", queued.error());
        std::fprintf(stderr, "condredirect: qp %ld\n", static_cast<long>(queued->qp));
        return 99;
    });
}

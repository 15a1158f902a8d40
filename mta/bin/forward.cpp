// forward address...: forwards the message on stdin to the addresses, with $DTLINE on
// top and envelope sender $NEWSENDER (forward(1)).
#include "qm/program.hpp"
#include "qm/queue_client.hpp"

#include <cstdio>
#include <cstdlib>

namespace {

constexpr std::string_view help =
    "usage: forward address...\n"
    "Queues the message on stdin for the addresses, with $DTLINE on top and\n"
    "envelope sender $NEWSENDER (both set by qmail-local). Prints\n"
    "\"forward: qp N\". Exit 0; 100 when a variable is missing or the queue\n"
    "refuses the message permanently; 111 on temporary trouble.\n";

} // namespace

int main(int argc, char** argv) {
    // No options, as in qmail: every word is an address.
    return qm::program::run({"forward", help}, argc, argv, [](qm::program::Words args) {
        const char* sender = std::getenv("NEWSENDER");
        if (!sender)
            return qm::program::fatal("forward", "NEWSENDER not set", 100);
        const char* dtline = std::getenv("DTLINE");
        if (!dtline)
            return qm::program::fatal("forward", "DTLINE not set", 100);
        auto queued =
            qm::queue_message_fd(dtline, 0, qm::Envelope{sender, {args.begin(), args.end()}});
        if (!queued)
            return qm::program::fatal("forward", queued.error());
        std::fprintf(stderr, "forward: qp %ld\n", static_cast<long>(queued->qp));
        return 0;
    });
}

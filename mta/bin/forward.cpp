// forward address...: forwards the message on stdin to the addresses, with $DTLINE on
// top and envelope sender $NEWSENDER (forward(1)).
#include "qm/queue_client.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {

int die(int code, const std::string& text) {
    std::fprintf(stderr, "forward: fatal: %s\n", text.c_str());
    return code;
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::puts("usage: forward address...\n"
                  "Queues the message on stdin for the addresses, with $DTLINE on top and\n"
                  "envelope sender $NEWSENDER (both set by qmail-local). Prints\n"
                  "\"forward: qp N\". Exit 0; 100 when a variable is missing or the queue\n"
                  "refuses the message permanently; 111 on temporary trouble.");
        return 0;
    }
    try {
        const char* sender = std::getenv("NEWSENDER");
        if (!sender)
            return die(100, "NEWSENDER not set");
        const char* dtline = std::getenv("DTLINE");
        if (!dtline)
            return die(100, "DTLINE not set");
        auto queued = qm::queue_message_fd(
            dtline, 0, qm::Envelope{sender, std::vector<std::string>(argv + 1, argv + argc)});
        if (!queued)
            return die(qm::exit_code(queued.error()), queued.error().text);
        std::fprintf(stderr, "forward: qp %ld\n", static_cast<long>(queued->qp));
        return 0;
    } catch (const std::exception&) {
        return die(111, "out of memory");
    }
}

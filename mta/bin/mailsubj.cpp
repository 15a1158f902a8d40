// mailsubj: sends stdin as the body of a message with the given subject to the given
// recipients, through qmail-inject (qmail's mailsubj).
#include "inject_main.hpp"
#include "qm/fd.hpp"
#include "qm/inject/wrappers.hpp"

#include <cstdio>
#include <new>
#include <string>
#include <vector>

namespace {

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "--help") {
        std::printf("usage: mailsubj subject recipient ...\n"
                    "Sends stdin as the body of a message with that Subject: to the\n"
                    "recipients (a To: line), through qmail-inject.\n");
        return 0;
    }
    if (args.size() < 2) {
        std::fputs("mailsubj: usage: mailsubj subject recipient ...\n", stderr);
        return 100;
    }
    auto body = qm::read_all(0);
    if (!body) {
        std::fprintf(stderr, "mailsubj: fatal: read error: %s\n", body.error().text.c_str());
        return 111;
    }
    std::vector<std::string> recipients(args.begin() + 1, args.end());
    std::string message = qm::inject::mailsubj_message(args[0], recipients, *body);
    qm::inject::ExecPlan plan{"qmail-inject", {}, {}, {}};
    return qm::inject::hand_over("mailsubj", plan, &message);
}

} // namespace

int main(int argc, char** argv) {
    return qm::inject::guarded_main("mailsubj", run, argc, argv);
}

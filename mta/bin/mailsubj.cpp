// mailsubj: sends stdin as the body of a message with the given subject to the given
// recipients, through qmail-inject (qmail's mailsubj).
#include "inject_main.hpp"
#include "qm/fd.hpp"
#include "qm/inject/wrappers.hpp"

#include <string>

namespace {

constexpr std::string_view help = "usage: mailsubj subject recipient ...\n"
                                  "Sends stdin as the body of a message with that Subject: to the\n"
                                  "recipients (a To: line), through qmail-inject.\n";

} // namespace

int main(int argc, char** argv) {
    // No options, as in qmail: the first word is the subject whatever it looks like.
    return qm::program::run(
        qm::inject::front_end("mailsubj", help), argc, argv, [](qm::program::Words args) {
            if (args.size() < 2)
                return qm::program::usage("mailsubj", "subject recipient ...");
            auto body = qm::read_all(0);
            if (!body)
                return qm::program::fatal("mailsubj", "read error: " + body.error().text, 111);
            std::string message = qm::inject::mailsubj_message(args[0], args.subspan(1), *body);
            qm::inject::ExecPlan plan{"qmail-inject", {}, {}, {}};
            return qm::inject::hand_over("mailsubj", plan, &message);
        });
}

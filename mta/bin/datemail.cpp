// datemail: sendmail, with a Date: line in local time added to a message that has none
// (qmail's datemail, which is predate + sendmail).
#include "inject_main.hpp"
#include "qm/fd.hpp"
#include "qm/inject/wrappers.hpp"

#include <cstdio>
#include <ctime>
#include <new>
#include <string>
#include <vector>

namespace {

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "--help") {
        std::printf("usage: datemail [ sendmail arguments ]\n"
                    "Adds a Date: line in the local time zone unless the message has one, then\n"
                    "runs sendmail with the same arguments (see sendmail --help).\n");
        return 0;
    }
    auto input = qm::read_all(0);
    if (!input) {
        std::fprintf(stderr, "datemail: fatal: read error: %s\n", input.error().text.c_str());
        return 111;
    }
    std::string message = qm::inject::add_date_if_missing(*input, std::time(nullptr));
    qm::inject::ExecPlan plan{"sendmail", args, {}, {}};
    return qm::inject::hand_over("datemail", plan, &message);
}

} // namespace

int main(int argc, char** argv) {
    return qm::inject::guarded_main("datemail", run, argc, argv);
}

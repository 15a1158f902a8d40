// datemail: sendmail, with a Date: line in local time added to a message that has none
// (qmail's datemail, which is predate + sendmail).
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
    qm::Failure f = qm::inject::exec_program(plan, &message);
    std::fprintf(stderr, "datemail: fatal: %s\n", f.text.c_str());
    return qm::exit_code(f);
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fputs("datemail: fatal: out of memory\n", stderr);
        return 111;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "datemail: fatal: internal error: %s\n", e.what());
        return 111;
    }
}

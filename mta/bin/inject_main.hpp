// What sendmail, datemail and mailsubj share: each ends by handing over to another program
// (qmail-inject or sendmail), and each main turns an escaping exception into qmail's fatal
// line.
#pragma once

#include "qm/inject/wrappers.hpp"

#include <cstdio>
#include <exception>
#include <new>
#include <string>

namespace qm::inject {

// Runs plan, with input on its stdin when given. Returns only when that failed: the exit
// code, after "<name>: fatal: ..." on stderr.
inline int hand_over(const char* name, const ExecPlan& plan, const std::string* input = nullptr) {
    const Failure f = exec_program(plan, input);
    std::fprintf(stderr, "%s: fatal: %s\n", name, f.text.c_str());
    return exit_code(f);
}

// run(argc, argv), with out of memory and any other exception a temporary failure.
inline int guarded_main(const char* name, int (*run)(int, char**), int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "%s: fatal: out of memory\n", name);
        return 111;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: fatal: internal error: %s\n", name, e.what());
        return 111;
    }
}

} // namespace qm::inject

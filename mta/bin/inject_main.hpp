// What sendmail, datemail and mailsubj share: each ends by handing over to another program
// (qmail-inject or sendmail), and each answers only --help (a first word "-h" is theirs:
// sendmail's usage error, mailsubj's subject, datemail's argument for sendmail).
#pragma once

#include "qm/inject/wrappers.hpp"
#include "qm/program.hpp"

#include <string>
#include <string_view>

namespace qm::inject {

// The frame of their mains.
inline program::About front_end(std::string_view name, std::string_view help) {
    return {name, help, program::ShortHelp::never};
}

// Runs plan, with input on its stdin when given. Returns only when that failed: the exit
// code, after "<name>: fatal: ..." on stderr.
inline int hand_over(std::string_view name, const ExecPlan& plan,
                     const std::string* input = nullptr) {
    return program::fatal(name, exec_program(plan, input));
}

} // namespace qm::inject

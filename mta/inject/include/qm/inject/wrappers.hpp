// The front ends of qmail-inject: the sendmail compatibility wrapper (qmail's sendmail.c:
// which flags it takes, which it ignores, and which program it becomes), datemail (a
// local-time Date: line, as qmail's predate) and mailsubj (subject and recipients from the
// command line). The planning functions are pure; exec_program() does the exec.
#pragma once

#include "qm/result.hpp"

#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qm::inject {

// A program to become: its name (found with qm::program_path), its arguments after
// argv[0], and environment changes (unsets first, then sets).
struct ExecPlan {
    std::string program;
    std::vector<std::string> args;
    std::vector<std::string> unset_env;
    std::vector<std::pair<std::string, std::string>> set_env;

    friend bool operator==(const ExecPlan&, const ExecPlan&) = default;
};

// What follows "sendmail" on its usage line.
inline constexpr std::string_view sendmail_synopsis =
    "[ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] [ arg ... ]";

// progname is the basename of argv[0]: "mailq" means -bp; "newaliases" is refused
// (permanently) as in qmail. proto_set says whether $PROTO is set (then -bs keeps the
// caller's tcpserver-style environment). A bad flag is a permanent failure whose text is
// the usage line.
[[nodiscard]] Result<ExecPlan> sendmail_plan(std::string_view progname,
                                             std::span<const std::string> args, bool proto_set);

// Runs plan.program with the plan's environment changes, stdin unchanged or, when
// stdin_data is given, replaced by those bytes. Returns only on failure: a missing
// program is a temporary failure naming the path.
[[nodiscard]] Failure exec_program(const ExecPlan& plan, const std::string* stdin_data = nullptr);

// "Date: 23 Nov 2026 20:11:52 +0100\n" in the local time zone (qmail's predate format).
[[nodiscard]] std::string local_date_field(std::time_t now);
// The message with a local-time Date: field in front unless its header has one.
[[nodiscard]] std::string add_date_if_missing(std::string_view message, std::time_t now);

// mailsubj: "Subject: <subject>\nTo: <r1>, <r2>\n\n<body>". Line breaks in the subject
// become spaces so that it cannot add header fields.
[[nodiscard]] std::string mailsubj_message(std::string_view subject,
                                           std::span<const std::string> recipients,
                                           std::string_view body);

} // namespace qm::inject

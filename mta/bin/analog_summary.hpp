// The main of every qmailanalog summary (zoverall, zfailures, ...): matchup's output on
// stdin, the report on stdout.
#pragma once

#include "qm/analog/lines.hpp"
#include "qm/analog/summary.hpp"
#include "qm/fd.hpp"
#include "qm/program.hpp"

#include <unistd.h>

#include <string>

inline int analog_summary_main(int argc, char** argv, std::string_view name, std::string_view help,
                               qm::analog::Report report) {
    return qm::program::run({name, help}, argc, argv, [&](qm::program::Words args) {
        if (!args.empty())
            return qm::program::usage(name, "< MATCHUP-OUTPUT");
        qm::analog::Summary summary(report);
        auto unfinished = qm::analog::read_lines(
            STDIN_FILENO, [&summary](std::string_view line) { summary.line(line); });
        if (!unfinished)
            return qm::program::fatal(name, unfinished.error().text, 111);
        if (!unfinished->empty())
            summary.line(*unfinished);
        if (!qm::write_all(STDOUT_FILENO, summary.report()))
            return qm::program::fatal(name, "unable to write output", 111);
        return 0;
    });
}

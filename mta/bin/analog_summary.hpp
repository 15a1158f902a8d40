// The main of every qmailanalog summary (zoverall, zfailures, ...): matchup's output on
// stdin, the report on stdout.
#pragma once

#include "qm/analog/summary.hpp"
#include "qm/fd.hpp"
#include "qm/program.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>

inline int analog_summary_main(int argc, char** argv, std::string_view name, std::string_view help,
                               qm::analog::Report report) {
    return qm::program::run({name, help}, argc, argv, [&](qm::program::Words args) {
        if (!args.empty())
            return qm::program::usage(name, "< MATCHUP-OUTPUT");
        qm::analog::Summary summary(report);
        std::string data;
        char buf[65536];
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return qm::program::fatal(name, "unable to read input", 111);
            if (n == 0)
                break;
            data.append(buf, static_cast<size_t>(n));
            size_t start = 0;
            for (size_t nl; (nl = data.find('\n', start)) != std::string::npos; start = nl + 1)
                summary.line(std::string_view(data).substr(start, nl - start));
            data.erase(0, start);
        }
        if (!data.empty())
            summary.line(data);
        if (!qm::write_all(STDOUT_FILENO, summary.report()))
            return qm::program::fatal(name, "unable to write output", 111);
        return 0;
    });
}

// What qmail-showctl(8) prints: the build's constants (home, delimiter, users), then
// every control file in qmail's order and wording, each with its value or "(Default.)"
// and what that means, then this platform's own control files, then every other file in
// control/ as "I have no idea what this file does." A value's bytes outside 32..126
// print as '?', as qmail prints them.
#pragma once

#include <string>

namespace qm::tools {

// home: the qmail home directory (its control/ is read). The report, and whether control/
// could be read at all (false: the report ends in an "Oops!" line, exit 111).
struct ControlReport {
    std::string text;
    bool complete = true;
};

[[nodiscard]] ControlReport show_controls(const std::string& home);

} // namespace qm::tools

// Control files under <home>/control with qmail's names, meanings and defaults
// (qmail-control(5)). A missing file means "use the default"; an unreadable one is a
// temporary failure naming the file. Trailing spaces and tabs are stripped from lines.
#pragma once

#include "qm/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace qm::control {

// <home>/control/<name>
[[nodiscard]] std::string path(const std::string& name);
// The whole file, or nullopt when it does not exist (for the controls with their own
// syntax, whose errors name a line).
[[nodiscard]] Result<std::optional<std::string>> read_text(const std::string& name);
// The lines of a control file with its own syntax that say something: '#' to the end of
// the line is a comment, blanks (and a CR) around are trimmed, empty lines are skipped;
// each with its 1-based line number, for errors that name the line.
struct NumberedLine {
    size_t number = 0;
    std::string_view text;
};
[[nodiscard]] std::vector<NumberedLine> meaningful_lines(std::string_view text);
// First line, or nullopt when the file does not exist (or is empty).
[[nodiscard]] Result<std::optional<std::string>> read_line(const std::string& name);
// First line or the default.
[[nodiscard]] Result<std::string> read_line_or(const std::string& name, const std::string& dflt);
// An unsigned number; a malformed value is a permanent configuration error naming file.
[[nodiscard]] Result<long> read_int_or(const std::string& name, long dflt);
// All lines, blank lines and lines starting with '#' skipped. Missing file → empty list.
[[nodiscard]] Result<std::vector<std::string>> read_lines(const std::string& name);
// control/me: required. Its absence is a clear temporary failure naming the file.
[[nodiscard]] Result<std::string> me();
// A control whose default is control/me (defaulthost, bouncehost, helohost, ...).
[[nodiscard]] Result<std::string> read_line_or_me(const std::string& name);

} // namespace qm::control

// qmail's activity-log lines (qmail-log(5)): one event per line on stderr, no timestamp
// (the logger adds it). Text that came from outside passes through safe_text first.
#pragma once

#include <string>
#include <string_view>

namespace qm::log {

// qmail's logsafe: newline → '/', bytes outside 33..126 and '%' → '_'.
[[nodiscard]] std::string safe_text(std::string_view s);
// Writes one line (a newline is added) to stderr in a single write(2).
void line(std::string_view text);
// "warning: " + text / "alert: " + text
void warning(std::string_view text);
void alert(std::string_view text);

} // namespace qm::log

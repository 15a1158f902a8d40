// The mail root. Every program finds it from $QMAILHOME (default /var/qmail), never from
// a compile-time constant, so tests and script/server can run against a private root.
#pragma once

#include <string>

namespace qm {

// $QMAILHOME or /var/qmail, without a trailing slash.
[[nodiscard]] std::string qmail_home();
// qmail_home() + "/" + relative
[[nodiscard]] std::string home_path(const std::string& relative);
// The program to run as qmail-queue: $QMAILQUEUE if set, else <home>/bin/qmail-queue.
[[nodiscard]] std::string qmail_queue_program();
// Directory holding our own executable (from /proc/self/exe); used to find sibling
// programs when the mail root has no bin/ yet.
[[nodiscard]] std::string self_exe_dir();
// Finds a sibling program: <home>/bin/<name> if it exists, else self_exe_dir()/<name>.
[[nodiscard]] std::string program_path(const std::string& name);

} // namespace qm

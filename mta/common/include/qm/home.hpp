// The mail root. Every program finds it from $QMAILHOME (default /var/qmail), never from
// a compile-time constant, so tests and script/server can run against a private root.
// A privileged run (the set-uid qmail-queue) is the exception: its environment is its
// caller's, so it takes the root from where it is installed instead (installed_home()).
#pragma once

#include "qm/result.hpp"

#include <string>

namespace qm {

// $QMAILHOME or /var/qmail, without a trailing slash. When privileged() (qm/env.hpp):
// installed_home(), never the environment; throws std::runtime_error if that fails, so
// a privileged program checks installed_home() first and reports the failure itself.
[[nodiscard]] std::string qmail_home();
// The root a privileged program may trust: <home> for an executable at <home>/bin/NAME
// (the kernel's /proc/self/exe, symlinks resolved), provided <home>/bin and <home> are
// root's and writable by nobody else, and every directory above is root's and not
// writable by others unless sticky. Anything else (a user's own tree, a hard link into
// one) is a temporary failure.
[[nodiscard]] Result<std::string> installed_home();
// qmail_home() + "/" + relative
[[nodiscard]] std::string home_path(const std::string& relative);
// The program to run as qmail-queue: $QMAILQUEUE if set (ignored when privileged), else
// <home>/bin/qmail-queue.
[[nodiscard]] std::string qmail_queue_program();
// Directory holding our own executable (from /proc/self/exe); used to find sibling
// programs when the mail root has no bin/ yet.
[[nodiscard]] std::string self_exe_dir();
// Finds a sibling program: <home>/bin/<name> if it exists, else self_exe_dir()/<name>.
[[nodiscard]] std::string program_path(const std::string& name);

} // namespace qm

// Reading the environment safely. A set-uid or set-gid program (or one given file
// capabilities) runs with its caller's environment: every variable is the caller's
// choice, so such a program must not let one pick a path, a program or a server. The
// kernel tells us this case apart (AT_SECURE, the flag glibc's secure_getenv uses).
#pragma once

#include <optional>
#include <string>

namespace qm {

// True when this process runs with more privilege than its caller (set-uid, set-gid,
// file capabilities): getauxval(AT_SECURE) != 0.
[[nodiscard]] bool privileged();

// The variable's value, or nullopt if unset, or if secure is true (a privileged run
// ignores its environment). Split from env() so that the rule itself can be tested.
[[nodiscard]] std::optional<std::string> env_value(const char* name, bool secure);
// env_value(name, privileged()): what every program reads its environment through when
// it may run privileged.
[[nodiscard]] std::optional<std::string> env(const char* name);

} // namespace qm

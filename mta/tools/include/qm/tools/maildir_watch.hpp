// maildirwatch(1): what a terminal shows of a maildir's new mail, redrawn every 30
// seconds: for each message in new/ (oldest first by mtime) its From and Subject fields
// (unfolded, RFC 2047 words left as they are, control bytes as '?'), one blank line
// between messages.
#pragma once

#include "qm/result.hpp"

#include <string>

namespace qm::tools {

// One screenful (without the escape that clears the screen).
[[nodiscard]] Result<std::string> maildir_summary(const std::string& maildir);

} // namespace qm::tools

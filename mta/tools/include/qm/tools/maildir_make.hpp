// maildirmake(8): creates a maildir (maildir(5)) with its tmp, new and cur
// subdirectories, mode 0700. The directory must not exist yet.
#pragma once

#include "qm/result.hpp"

#include <string>

namespace qm::tools {

[[nodiscard]] Status make_maildir(const std::string& dir);

} // namespace qm::tools

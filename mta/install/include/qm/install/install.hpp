// Creating a mail root: queue (qm::queue::create), control/, users/, alias/, bin/, man/.
// Root mode uses qmail's role users; normal-user mode gives everything to the caller.
#pragma once

#include "qm/result.hpp"

#include <sys/types.h>

#include <string>

namespace qm::install {

struct Options {
    std::string home;    // empty: $QMAILHOME or /var/qmail
    std::string bin_dir; // empty: directory of the running executable
    // Manual pages as manN/ subdirectories; empty: bin_dir/../share/man, where the build
    // stages them, skipped when it is not there (programs installed without pages).
    std::string man_dir;
    bool create_users = false;
};

struct RoleIds {
    uid_t alias = 0, qmaild = 0, qmaill = 0, qmailp = 0, qmailq = 0, qmailr = 0, qmails = 0;
    gid_t qmail = 0, nofiles = 0;
    bool root_mode = false;
};

// Role users as root (optionally creating them), or the caller's ids everywhere.
[[nodiscard]] Result<RoleIds> role_ids(bool create_users);
[[nodiscard]] Status install(const Options& opt);

} // namespace qm::install

// qmail-pw2u(8): a V7 passwd file turned into a users/assign table, following
// qmail-getpw's rules (skip uid 0, missing or foreign homes, uppercase names) and the
// optional users/include, exclude, mailnames, subusers and append files.
#pragma once

#include "qm/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::local {

struct Pw2uOptions {
    enum class Home { ignore, stop_if_missing, skip_if_missing };
    Home home = Home::skip_if_missing; // -H / -h / -o
    bool allow_uppercase = false;      // -u (default -U)
    char conf_break = '-';             // -c char; '\0' with -C
    bool slash = false;                // -/ : dash "-/" for extension addresses
};

// Contents of the optional files under users/ (nullopt = file absent).
struct Pw2uFiles {
    std::optional<std::string> include, exclude, mailnames, subusers, append;
};

// The assign text, ending with the "." line. Fails (temporarily) when there is no
// alias user, a subuser names an unknown user, or a home cannot be checked.
[[nodiscard]] Result<std::string> pw2u(std::string_view passwd, const Pw2uOptions& opt,
                                       const Pw2uFiles& files);

// Reads the optional files from <qmail_home>/users.
[[nodiscard]] Result<Pw2uFiles> read_pw2u_files(const std::string& qmail_home);

} // namespace qm::local

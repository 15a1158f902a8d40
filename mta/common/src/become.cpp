#include "qm/become.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qm {

Status become_user(const std::string& user) {
    errno = 0;
    const passwd* pw = ::getpwnam(user.c_str());
    if (pw == nullptr)
        return fail(temp("4.3.0", "there is no user " + user + " to run as"));
    return become_ids(pw->pw_uid, pw->pw_gid, user);
}

Status become_ids(uid_t uid, gid_t gid, const std::string& who) {
    if (uid == 0 || gid == 0)
        return fail(temp("4.3.0", "refusing to run as " + who + ": its uid or gid is 0"));
    // Groups first, while still allowed to change them; setuid last clears every
    // capability (no SECBIT_KEEP_CAPS here). No PR_SET_NO_NEW_PRIVS: the setuid
    // qmail-queue must still gain qmailq.
    if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
        return fail(temp("4.3.0", "unable to switch to " + who + ": " + std::strerror(errno)));
    if (::getuid() == 0 || ::geteuid() == 0 || ::getgid() == 0 || ::getegid() == 0 ||
        ::setuid(0) == 0)
        return fail(temp("4.3.0", "still privileged after switching to " + who));
    return {};
}

} // namespace qm

#include "qm/tools/maildir_make.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace qm::tools {

namespace {

Status make_dir(const std::string& path) {
    // mkdir's mode is masked by the umask; maildirs must stay private whatever it is.
    if (::mkdir(path.c_str(), 0700) != 0)
        return fail(temp("4.3.0", "unable to mkdir " + path + ": " + std::strerror(errno)));
    if (::chmod(path.c_str(), 0700) != 0)
        return fail(temp("4.3.0", "unable to chmod " + path + ": " + std::strerror(errno)));
    return {};
}

} // namespace

Status make_maildir(const std::string& dir) {
    if (dir.empty())
        return fail(perm("5.3.5", "empty maildir name"));
    if (auto r = make_dir(dir); !r)
        return r;
    for (const char* sub : {"/tmp", "/new", "/cur"})
        if (auto r = make_dir(dir + sub); !r)
            return r;
    return {};
}

} // namespace qm::tools

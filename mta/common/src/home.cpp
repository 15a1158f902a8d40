#include "qm/home.hpp"

#include "qm/env.hpp"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace qm {

namespace {

std::string without_trailing_slashes(std::string p) {
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    return p;
}

std::string own_executable() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf);
    if (n <= 0 || static_cast<size_t>(n) >= sizeof buf)
        return {};
    return std::string(buf, static_cast<size_t>(n));
}

// A directory only root can change: owned by root and writable by nobody else, except a
// sticky one (/tmp), where nobody else can rename or remove root's entries either.
Status root_controlled(const std::string& dir, bool sticky_ok) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0)
        return fail(from_errno(errno, "unable to stat " + dir));
    if (!S_ISDIR(st.st_mode))
        return fail(temp("4.3.0", dir + " is not a directory"));
    if (st.st_uid != 0)
        return fail(temp("4.3.0", dir + " is not owned by root"));
    if ((st.st_mode & 022) && !(sticky_ok && (st.st_mode & S_ISVTX)))
        return fail(temp("4.3.0", dir + " is writable by others than root"));
    return {};
}

} // namespace

Result<std::string> installed_home() {
    const std::string exe = own_executable();
    // The kernel's path has no symlinks and no "..": it names the file we run from.
    if (exe.empty() || exe.front() != '/' || exe.ends_with(" (deleted)"))
        return fail(temp("4.3.0", "unable to find my own executable"));
    const std::filesystem::path bin = std::filesystem::path(exe).parent_path();
    if (bin.filename() != "bin")
        return fail(temp("4.3.0", exe + " is not installed in <home>/bin"));
    const std::string home = bin.parent_path().string();
    if (auto s = root_controlled(bin.string(), false); !s)
        return fail(s.error());
    if (auto s = root_controlled(home, false); !s)
        return fail(s.error());
    // Above the root, whoever can rename a directory can swap the whole tree.
    for (auto up = std::filesystem::path(home).parent_path();; up = up.parent_path()) {
        if (auto s = root_controlled(up.string(), true); !s)
            return fail(s.error());
        if (up == up.root_path())
            break;
    }
    return home;
}

std::string qmail_home() {
    if (privileged()) {
        // Computed once: a set-uid program's executable does not move under it.
        static const Result<std::string> trusted = installed_home();
        if (!trusted)
            throw std::runtime_error("no trusted mail root: " + trusted.error().text);
        return *trusted;
    }
    auto h = env("QMAILHOME");
    return without_trailing_slashes(h && !h->empty() ? *h : "/var/qmail");
}

std::string home_path(const std::string& relative) {
    return qmail_home() + "/" + relative;
}

std::string self_exe_dir() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        return ".";
    return p.parent_path().string();
}

std::string program_path(const std::string& name) {
    std::string in_home = home_path("bin/" + name);
    if (::access(in_home.c_str(), X_OK) == 0)
        return in_home;
    return self_exe_dir() + "/" + name;
}

std::string qmail_queue_program() {
    auto q = env("QMAILQUEUE");
    if (q && !q->empty())
        return *q;
    return program_path("qmail-queue");
}

} // namespace qm

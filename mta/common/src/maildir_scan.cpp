#include "qm/maildir_scan.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace qm::maildir {

namespace {

// The names in dir that do not start with a dot.
Result<std::vector<std::string>> names_in(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr)
        return fail(temp("4.3.0", "unable to scan " + dir + ": " + std::strerror(errno)));
    std::vector<std::string> out;
    while (const dirent* e = ::readdir(d))
        if (e->d_name[0] != '.')
            out.emplace_back(e->d_name);
    ::closedir(d);
    return out;
}

} // namespace

Result<std::vector<Entry>> scan(const std::string& maildir, ScanOptions options) {
    const std::time_t now = std::time(nullptr);
    std::vector<Entry> entries;
    for (const char* sub : {"new", "cur"}) {
        if (!options.cur && std::strcmp(sub, "cur") == 0)
            continue;
        auto names = names_in(maildir + "/" + sub);
        if (!names)
            return fail(names.error());
        for (auto& n : *names) {
            Entry e;
            e.name = std::string(sub) + "/" + n;
            struct stat st {};
            if (::stat((maildir + "/" + e.name).c_str(), &st) != 0)
                continue;
            if (options.skip_this_second && st.st_mtime >= now)
                continue;
            e.mtime = st.st_mtime;
            e.size = static_cast<std::uint64_t>(st.st_size);
            entries.push_back(std::move(e));
        }
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.mtime != b.mtime ? a.mtime < b.mtime : a.name < b.name;
    });
    return entries;
}

void clean_tmp(const std::string& maildir) {
    auto names = names_in(maildir + "/tmp");
    if (!names)
        return;
    const std::time_t now = std::time(nullptr);
    for (const auto& n : *names) {
        const std::string path = maildir + "/tmp/" + n;
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && now > st.st_atime + 129600)
            ::unlink(path.c_str());
    }
}

} // namespace qm::maildir

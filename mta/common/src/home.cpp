#include "qm/home.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace qm {

std::string qmail_home() {
    const char* h = std::getenv("QMAILHOME");
    std::string home = (h && *h) ? h : "/var/qmail";
    while (home.size() > 1 && home.back() == '/')
        home.pop_back();
    return home;
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
    const char* q = std::getenv("QMAILQUEUE");
    if (q && *q)
        return q;
    return program_path("qmail-queue");
}

} // namespace qm

#include "qm/local/pw2u.hpp"

#include "qm/fd.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <set>

namespace qm::local {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (;;) {
        size_t i = s.find(sep);
        out.push_back(s.substr(0, i));
        if (i == std::string_view::npos)
            return out;
        s.remove_prefix(i + 1);
    }
}

// A uid or gid as qmail-newu (parse_assign) accepts it: decimal digits only, fitting an
// unsigned long. A passwd line with anything else would make qmail-newu refuse the whole
// table, so pw2u leaves that one line out instead.
bool decimal_id(std::string_view s) {
    unsigned long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// Lines of a control-style file: trailing blanks stripped, empty lines and lines with a
// NUL byte (which no assign line may hold) dropped.
std::vector<std::string> control_lines(const std::optional<std::string>& text) {
    std::vector<std::string> out;
    if (!text)
        return out;
    for (auto line : split(*text, '\n')) {
        if (line.find('\0') != std::string_view::npos)
            continue;
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        if (!line.empty())
            out.emplace_back(line);
    }
    return out;
}

} // namespace

Result<std::string> pw2u(std::string_view passwd, const Pw2uOptions& opt, const Pw2uFiles& files) {
    std::set<std::string, std::less<>> include, exclude;
    for (auto& l : control_lines(files.include))
        include.insert(l);
    for (auto& l : control_lines(files.exclude))
        exclude.insert(l);
    std::map<std::string, std::string, std::less<>> mailnames;
    for (auto& l : control_lines(files.mailnames)) {
        size_t c = l.find(':');
        if (c != std::string::npos)
            mailnames.emplace(l.substr(0, c), l.substr(c + 1));
    }

    const std::string dashcolon = opt.slash ? "-/:" : "-:";
    std::map<std::string, std::string, std::less<>> users; // user → ":user:uid:gid:home:"
    std::string out;
    bool have_alias = false;

    for (auto line : split(passwd, '\n')) {
        if (line.find('\0') != std::string_view::npos)
            continue;
        auto f = split(line, ':');
        if (f.size() < 7)
            continue;
        const std::string_view user = f[0], uidstr = f[2], gidstr = f[3], home = f[5];
        if (!decimal_id(uidstr) || !decimal_id(gidstr))
            continue;
        unsigned long uid = 0;
        std::from_chars(uidstr.data(), uidstr.data() + uidstr.size(), uid);
        if (uid == 0)
            continue;
        if (!opt.allow_uppercase &&
            user.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos)
            continue;
        if (files.include && !include.contains(user))
            continue;
        if (files.exclude && exclude.contains(user))
            continue;
        if (opt.home != Pw2uOptions::Home::ignore) {
            struct stat st {};
            if (::stat(std::string(home).c_str(), &st) != 0) {
                if (errno != ENOENT || opt.home == Pw2uOptions::Home::stop_if_missing)
                    return fail(temp("4.3.0", "unable to stat " + std::string(home)));
                continue;
            }
            if (st.st_uid != uid)
                continue;
        }

        std::string uugh = ":" + std::string(user) + ":" + std::string(uidstr) + ":" +
                           std::string(gidstr) + ":" + std::string(home) + ":";
        users.emplace(std::string(user), uugh);
        if (user == "alias") {
            out += "+" + uugh + dashcolon + ":\n";
            have_alias = true;
        }
        auto m = mailnames.find(user);
        std::string_view names = m != mailnames.end() ? std::string_view(m->second) : user;
        for (auto name : split(names, ':')) {
            if (name.empty())
                continue;
            out += "=" + std::string(name) + uugh + "::\n";
            if (opt.conf_break)
                out += "+" + std::string(name) + opt.conf_break + uugh + dashcolon + ":\n";
        }
    }
    if (!have_alias)
        return fail(temp("4.3.0", "unable to find alias user"));

    if (files.subusers) {
        for (auto line : split(*files.subusers, '\n')) {
            if (line.find('\0') != std::string_view::npos)
                continue;
            auto f = split(line, ':');
            if (f.size() < 3)
                continue;
            auto u = users.find(f[1]);
            if (u == users.end())
                return fail(
                    temp("4.3.0", "unable to find " + std::string(f[1]) + " user for subuser"));
            if (f.size() < 4)
                continue; // qmail wants the ':' after pre
            const std::string sub(f[0]), pre(f[2]);
            out += "=" + sub + u->second + dashcolon + pre + ":\n";
            if (opt.conf_break)
                out += "+" + sub + opt.conf_break + u->second + dashcolon + pre + "-:\n";
        }
    }
    if (files.append)
        out += *files.append;
    out += ".\n";
    return out;
}

Result<Pw2uFiles> read_pw2u_files(const std::string& qmail_home) {
    Pw2uFiles files;
    struct Slot {
        const char* name;
        std::optional<std::string>* into;
    } slots[] = {{"include", &files.include},
                 {"exclude", &files.exclude},
                 {"mailnames", &files.mailnames},
                 {"subusers", &files.subusers},
                 {"append", &files.append}};
    for (auto& s : slots) {
        const std::string path = qmail_home + "/users/" + s.name;
        auto text = read_file(path);
        if (text) {
            *s.into = std::move(*text);
            continue;
        }
        if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT)
            continue;
        return fail(temp("4.3.0", "unable to read " + path));
    }
    return files;
}

} // namespace qm::local

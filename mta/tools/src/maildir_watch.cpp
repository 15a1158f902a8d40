#include "qm/tools/maildir_watch.hpp"

#include "qm/fd.hpp"
#include "qm/maildir_scan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

namespace qm::tools {

namespace {

// The header of a message file, at most 64 KiB of it.
std::string header_of(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return {};
    std::string head(65536, '\0');
    const ssize_t n = ::read(fd.get(), head.data(), head.size());
    head.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (const auto end = head.find("\n\n"); end != std::string::npos)
        head.resize(end + 1);
    return head;
}

// The first field called name (lower case), unfolded; found says whether there is one.
std::string field(const std::string& header, std::string_view name, bool& found) {
    found = false;
    std::string value;
    for (size_t pos = 0; pos < header.size();) {
        const size_t nl = std::min(header.find('\n', pos), header.size());
        const std::string_view line(header.data() + pos, nl - pos);
        pos = nl + 1;
        if (found) {
            if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
                value += ' ';
                value += line.substr(line.find_first_not_of(" \t"));
                continue;
            }
            break;
        }
        if (line.size() > name.size() && line[name.size()] == ':' &&
            std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
                return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
            })) {
            found = true;
            const std::string_view rest = line.substr(name.size() + 1);
            const size_t start = rest.find_first_not_of(" \t");
            value =
                start == std::string_view::npos ? std::string() : std::string(rest.substr(start));
        }
    }
    for (char& c : value)
        if (static_cast<unsigned char>(c) < 32 || c == 127)
            c = '?';
    return value;
}

} // namespace

Result<std::string> maildir_summary(const std::string& maildir) {
    auto messages = maildir::scan(maildir, {.cur = false, .skip_this_second = false});
    if (!messages)
        return fail(messages.error());
    std::string out;
    for (const auto& m : *messages) {
        const std::string header = header_of(maildir + "/" + m.name);
        if (!out.empty())
            out += '\n';
        for (const char* name : {"from", "subject"}) {
            bool found = false;
            const std::string v = field(header, name, found);
            out += std::string(name[0] == 'f' ? "From: " : "Subject: ") +
                   (found ? v : std::string("(none)")) + "\n";
        }
    }
    return out;
}

} // namespace qm::tools

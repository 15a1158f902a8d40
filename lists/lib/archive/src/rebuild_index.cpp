#include "qm/fd.hpp"
#include "qm/lists/archive/archive_index.hpp"
#include "qm/lists/core/listdir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace qm::lists {

namespace {

std::vector<std::string> words_of(std::string_view s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
            ++i;
        size_t end = i;
        while (end < s.size() && s[end] != ' ' && s[end] != '\t' && s[end] != '\r' &&
               s[end] != '\n')
            ++end;
        if (end > i)
            out.emplace_back(s.substr(i, end - i));
        i = end;
    }
    return out;
}

bool all_digits(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

} // namespace

std::string index_date_from_date_field(std::string_view value) {
    if (auto comma = value.find(','); comma != std::string_view::npos)
        value.remove_prefix(comma + 1);
    auto w = words_of(value);
    if (w.size() < 4 || !all_digits(w[0]) || !all_digits(w[2]))
        return "";
    std::string year = w[2];
    if (year.size() == 2)
        year = (year[0] >= '7' ? "19" : "20") + year;
    std::string out = w[0] + " " + w[1] + " " + year + " " + w[3];
    if (w.size() >= 5)
        out += " " + w[4];
    return out;
}

Status rebuild_index(const std::string& dir, unsigned long from, bool date_field) {
    auto lock = Lock::acquire(dir + "/lock");
    if (!lock)
        return fail(lock.error());
    auto prefix = read_setting(dir, "prefix");
    if (!prefix)
        return fail(prefix.error());
    auto num = read_num(dir);
    if (!num)
        return fail(num.error());
    // Nothing archived yet, or nothing from there on: no index file to make.
    const bool any = num->last != 0 && from <= num->last;
    for (unsigned long block = from / 100; any && block <= num->last / 100; ++block) {
        const std::string block_dir = dir + "/archive/" + std::to_string(block);
        if (::mkdir(block_dir.c_str(), 0755) != 0 && errno != EEXIST)
            return fail(from_errno(errno, "unable to create " + block_dir));
        std::string text;
        for (unsigned long n = std::max(block * 100, 1UL); n < (block + 1) * 100 && n <= num->last;
             ++n) {
            const std::string path = archive_path(dir, n);
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0) {
                if (errno == ENOENT)
                    continue;
                return fail(from_errno(errno, "unable to read " + path));
            }
            if ((st.st_mode & S_IXUSR) == 0)
                continue;
            auto message = read_file(dir, path.substr(dir.size() + 1));
            if (!message)
                return fail(message.error());
            if (!*message)
                continue;
            const ParsedPost post(**message);
            IndexEntry e = make_index_entry(n, post, prefix->value_or(""));
            if (date_field) {
                const HeaderField* date = post.first("date");
                e.date = date ? index_date_from_date_field(date->value()) : "";
            }
            text += format_index_entry(e);
        }
        if (auto w = write_file_atomic(index_path(dir, block), text, 0744); !w)
            return fail(
                temp("4.3.0", "unable to write " + index_path(dir, block) + ": " + w.error().text));
    }
    const std::string indexed = dir + "/indexed";
    const int fd = ::open(indexed.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(from_errno(errno, "unable to create " + indexed));
    ::close(fd);
    return {};
}

} // namespace qm::lists

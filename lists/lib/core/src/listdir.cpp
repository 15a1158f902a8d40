#include "qm/lists/core/listdir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

namespace qm::lists {

namespace {

// The file's text, or nullopt when it does not exist.
Result<std::optional<std::string>> slurp(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::optional<std::string>{};
        return fail(from_errno(errno, "unable to open " + path));
    }
    auto data = read_all(fd.get());
    if (!data)
        return fail(from_errno(errno, "unable to read " + path));
    return std::optional<std::string>(std::move(*data));
}

} // namespace

Result<std::optional<std::string>> read_setting(const std::string& dir, const std::string& name) {
    auto text = slurp(dir + "/" + name);
    if (!text)
        return fail(text.error());
    if (!*text)
        return std::optional<std::string>{};
    std::string line = (*text)->substr(0, (*text)->find('\n'));
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
        line.pop_back();
    if (line.empty())
        return std::optional<std::string>{};
    return std::optional<std::string>(std::move(line));
}

Result<ListCharset> read_list_charset(const std::string& dir) {
    auto line = read_setting(dir, "charset");
    if (!line)
        return fail(line.error());
    ListCharset cs;
    if (!*line)
        return cs;
    std::string name = **line;
    // As ezmlm-idx 7's config.c: only ":Q" and ":B" are encodings; another suffix stays
    // part of the name (and then fails the token test below).
    if (name.size() >= 2 && name[name.size() - 2] == ':' &&
        (name.back() == 'Q' || name.back() == 'B')) {
        cs.encoding = name.back();
        name.resize(name.size() - 2);
    }
    if (!name.empty() && name.find_first_of(" \t\r\n;\"\\()<>@,:/[]?=") == std::string::npos)
        cs.name = std::move(name);
    return cs;
}

Result<std::optional<std::string>> read_file(const std::string& dir, const std::string& name) {
    return slurp(dir + "/" + name);
}

Result<std::string> require_setting(const std::string& dir, const std::string& name) {
    auto v = read_setting(dir, name);
    if (!v)
        return fail(v.error());
    if (!*v)
        return fail(temp("4.3.0", dir + "/" + name + " does not exist"));
    return std::move(**v);
}

Result<std::vector<std::string>> read_lines(const std::string& dir, const std::string& name) {
    auto text = slurp(dir + "/" + name);
    if (!text)
        return fail(text.error());
    std::vector<std::string> out;
    if (!*text)
        return out;
    std::string_view rest = **text;
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        if (!line.empty())
            out.emplace_back(line);
    }
    return out;
}

namespace {

bool file_exists(const std::string& dir, const std::string& name) {
    struct stat st {};
    return ::stat((dir + "/" + name).c_str(), &st) == 0;
}

// ezmlm-idx 7's switch letters and the flag files they stand for (its config.c); "" for
// the letters without one.
constexpr std::array<std::string_view, 26> letter_files = {"archived",
                                                           "modgetonly",
                                                           "ezmlmrc",
                                                           "digest",
                                                           "",
                                                           "prefix",
                                                           "subgetonly",
                                                           "nosubconfirm",
                                                           "threaded",
                                                           "nounsubconfirm",
                                                           "deny",
                                                           "modcanlist",
                                                           "modpost",
                                                           "modcanedit",
                                                           "modpostonly",
                                                           "public",
                                                           "",
                                                           "remote",
                                                           "modsub",
                                                           "addtrailer",
                                                           "subpostonly",
                                                           "",
                                                           "nowarn",
                                                           "mimeremove",
                                                           "confirmpost",
                                                           ""};

// The switch letters this platform's ezmlm-make wrote to dir/flags, in this order, before
// it followed ezmlm-idx 7 (when its i meant indexed).
constexpr std::string_view old_make_letters = "abdfghijlmnoprstuwy";

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool written_by_old_make(std::string_view line) {
    if (line.size() != old_make_letters.size())
        return false;
    for (size_t i = 0; i < line.size(); ++i)
        if (lower(line[i]) != old_make_letters[i])
            return false;
    return true;
}

void state_letters(StatedFlags& out, std::string_view letters) {
    out.present = true;
    for (char c : letters) {
        if (c >= 'a' && c <= 'z')
            out.letter[static_cast<size_t>(c - 'a')] = true;
        else if (c >= 'A' && c <= 'Z')
            out.letter[static_cast<size_t>(c - 'A')] = false;
    }
}

// The lines getconf hands on: trailing blanks gone, blank lines and # comments skipped.
std::vector<std::string_view> config_lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
            line.remove_suffix(1);
        if (!line.empty() && line.front() != '#')
            out.push_back(line);
    }
    return out;
}

} // namespace

Result<StatedFlags> read_stated_flags(const std::string& dir) {
    StatedFlags out;
    auto flags = slurp(dir + "/flags");
    if (!flags)
        return fail(flags.error());
    if (*flags) {
        const auto lines = config_lines(**flags);
        if (!lines.empty()) {
            std::string_view line = lines.front();
            state_letters(out, line);
            if (written_by_old_make(line)) {
                out.written_by_old_make = true;
                out.letter['i' - 'a'].reset();
            }
            return out;
        }
    }
    auto config = slurp(dir + "/config");
    if (!config)
        return fail(config.error());
    if (*config)
        for (std::string_view line : config_lines(**config))
            if (line.starts_with("F:")) {
                out.from_config = true;
                state_letters(out, line.substr(2));
                break;
            }
    return out;
}

std::string_view flag_file_of(char letter) {
    letter = lower(letter);
    if (letter < 'a' || letter > 'z')
        return {};
    return letter_files[static_cast<size_t>(letter - 'a')];
}

bool flag_letter(const std::string& dir, char letter) {
    letter = lower(letter);
    if (letter < 'a' || letter > 'z')
        return false;
    // Unreadable flags count as none: the flag files still say what the list is.
    if (auto stated = read_stated_flags(dir); stated)
        if (auto v = stated->letter[static_cast<size_t>(letter - 'a')])
            return *v;
    const std::string_view file = flag_file_of(letter);
    return file.empty() || file_exists(dir, std::string(file));
}

bool has_flag(const std::string& dir, const std::string& name) {
    for (size_t i = 0; i < letter_files.size(); ++i)
        if (!letter_files[i].empty() && letter_files[i] == name)
            return flag_letter(dir, static_cast<char>('a' + i));
    return file_exists(dir, name);
}

Result<Lock> Lock::acquire(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!fd)
        return fail(from_errno(errno, "unable to open " + path));
    while (::flock(fd.get(), LOCK_EX) != 0) {
        if (errno != EINTR)
            return fail(from_errno(errno, "unable to obtain " + path));
    }
    return Lock(std::move(fd));
}

Result<ListInfo> read_list(const std::string& dir) {
    ListInfo info;
    info.dir = dir;
    auto local = require_setting(dir, "outlocal");
    if (!local)
        return fail(local.error());
    auto host = require_setting(dir, "outhost");
    if (!host)
        return fail(host.error());
    info.outlocal = std::move(*local);
    info.outhost = std::move(*host);
    return info;
}

Result<Num> read_num(const std::string& dir) {
    auto line = read_setting(dir, "num");
    if (!line)
        return fail(line.error());
    Num num;
    if (!*line)
        return num;
    const std::string& s = **line;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), num.last);
    if (ec != std::errc{})
        return fail(temp("4.3.0", dir + "/num is not a number"));
    if (p < s.data() + s.size() && *p == ':') {
        unsigned long k = 0;
        std::from_chars(p + 1, s.data() + s.size(), k);
        num.kbytes = k;
    }
    return num;
}

Status write_num(const std::string& dir, const Num& num) {
    // Always N:K, as ezmlm-idx 7 writes it (ezmlm-tstdig and ezmlm-get read K).
    std::string text =
        std::to_string(num.last) + ":" + std::to_string(num.kbytes.value_or(0)) + "\n";
    if (auto w = write_file_atomic(dir + "/num", text, 0644); !w)
        return fail(temp("4.3.0", "unable to write " + dir + "/num: " + w.error().text));
    return {};
}

std::string archive_path(const std::string& dir, unsigned long n) {
    char nn[3];
    std::snprintf(nn, sizeof nn, "%02u", static_cast<unsigned>(n % 100));
    return dir + "/archive/" + std::to_string(n / 100) + "/" + nn;
}

} // namespace qm::lists

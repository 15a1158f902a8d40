#include "qm/control.hpp"

#include "qm/fd.hpp"
#include "qm/home.hpp"

#include <cerrno>
#include <charconv>

namespace qm::control {

std::string path(const std::string& name) {
    return home_path("control/" + name);
}

namespace {

void strip_trailing_blanks(std::string& s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.pop_back();
}

// nullopt = file absent
Result<std::optional<std::string>> slurp_file(const std::string& name) {
    std::string p = path(name);
    auto data = read_file(p);
    if (!data) {
        if (errno == ENOENT)
            return std::optional<std::string>{};
        return fail(temp("4.3.0", "unable to read control file " + p + ": " + data.error().text));
    }
    return std::optional<std::string>{std::move(*data)};
}

} // namespace

std::vector<NumberedLine> meaningful_lines(std::string_view text) {
    std::vector<NumberedLine> out;
    size_t number = 0;
    for (size_t pos = 0; pos < text.size();) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++number;
        line = line.substr(0, line.find('#'));
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
            line.remove_suffix(1);
        if (!line.empty())
            out.push_back({number, line});
    }
    return out;
}

Result<std::optional<std::string>> read_text(const std::string& name) {
    return slurp_file(name);
}

Result<std::optional<std::string>> read_line(const std::string& name) {
    auto data = slurp_file(name);
    if (!data)
        return fail(data.error());
    if (!*data)
        return std::optional<std::string>{};
    std::string& s = **data;
    auto nl = s.find('\n');
    std::string line = nl == std::string::npos ? s : s.substr(0, nl);
    strip_trailing_blanks(line);
    if (line.empty() && nl == std::string::npos)
        return std::optional<std::string>{};
    return std::optional<std::string>{std::move(line)};
}

Result<std::string> read_line_or(const std::string& name, const std::string& dflt) {
    auto l = read_line(name);
    if (!l)
        return fail(l.error());
    return l->value_or(dflt);
}

Result<long> read_int_or(const std::string& name, long dflt) {
    auto l = read_line(name);
    if (!l)
        return fail(l.error());
    if (!*l)
        return dflt;
    const std::string& s = **l;
    long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size())
        return fail(perm("5.3.5", path(name) + " line 1: not a number: " + s));
    return v;
}

Result<std::vector<std::string>> read_lines(const std::string& name) {
    auto data = slurp_file(name);
    if (!data)
        return fail(data.error());
    std::vector<std::string> out;
    if (!*data)
        return out;
    std::string_view rest = **data;
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string line(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        strip_trailing_blanks(line);
        if (line.empty() || line[0] == '#')
            continue;
        out.push_back(std::move(line));
    }
    return out;
}

Result<std::string> me() {
    auto l = read_line("me");
    if (!l)
        return fail(l.error());
    if (!*l)
        return fail(temp("4.3.0", "missing control file " + path("me") +
                                      ": it must hold this host's fully qualified name"));
    return **l;
}

Result<std::string> read_line_or_me(const std::string& name) {
    auto l = read_line(name);
    if (!l)
        return fail(l.error());
    if (*l)
        return **l;
    return me();
}

} // namespace qm::control

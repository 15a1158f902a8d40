#include "qm/web/server/config.hpp"

#include "qm/lists/core/listdir.hpp"

#include <cctype>
#include <charconv>

namespace qm::web::server {

bool valid_list_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name.front() == '.')
        return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return false;
    return true;
}

Status parse_listen(std::string_view spec, Config& config) {
    std::string_view host;
    std::string_view port;
    if (spec.starts_with('[')) {
        const size_t close = spec.find("]:");
        if (close == std::string_view::npos)
            return fail(perm("5.3.5", "--listen: expected [ADDRESS]:PORT"));
        host = spec.substr(1, close - 1);
        port = spec.substr(close + 2);
    } else {
        const size_t colon = spec.rfind(':');
        if (colon == std::string_view::npos)
            return fail(perm("5.3.5", "--listen: expected ADDRESS:PORT"));
        host = spec.substr(0, colon);
        port = spec.substr(colon + 1);
    }
    unsigned n = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (host.empty() || ec != std::errc{} || ptr != port.data() + port.size() || n == 0 ||
        n > 65535)
        return fail(perm("5.3.5", "--listen: bad address or port: " + std::string(spec)));
    config.address = std::string(host);
    config.port = static_cast<unsigned short>(n);
    return {};
}

Status add_list(std::string_view name, std::string_view dir, Config& config) {
    if (!valid_list_name(name))
        return fail(perm("5.3.5", "bad list name (letters, digits, . - _): " + std::string(name)));
    if (!dir.starts_with('/'))
        return fail(perm("5.3.5", "list directory must be absolute: " + std::string(dir)));
    if (!config.lists.emplace(std::string(name), std::string(dir)).second)
        return fail(perm("5.3.5", "list named twice: " + std::string(name)));
    return {};
}

Status parse_list_spec(std::string_view spec, Config& config) {
    const size_t eq = spec.find('=');
    if (eq == std::string_view::npos)
        return fail(perm("5.3.5", "--list: expected NAME=DIR: " + std::string(spec)));
    return add_list(spec.substr(0, eq), spec.substr(eq + 1), config);
}

Status parse_lists_file(std::string_view text, Config& config) {
    size_t number = 0;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++number;
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
            line.remove_suffix(1);
        if (line.empty() || line.front() == '#')
            continue;
        const size_t blank = line.find_first_of(" \t");
        if (blank == std::string_view::npos)
            return fail(perm("5.3.5", "line " + std::to_string(number) + ": expected NAME DIR"));
        std::string_view dir = line.substr(blank);
        while (!dir.empty() && (dir.front() == ' ' || dir.front() == '\t'))
            dir.remove_prefix(1);
        if (auto s = add_list(line.substr(0, blank), dir, config); !s)
            return fail(perm("5.3.5", "line " + std::to_string(number) + ": " + s.error().text));
    }
    return {};
}

Status parse_origin(std::string_view origin, Config& config) {
    std::string_view rest = origin;
    if (rest.starts_with("https://"))
        rest.remove_prefix(8);
    else if (rest.starts_with("http://"))
        rest.remove_prefix(7);
    else
        return fail(
            perm("5.3.5", "--origin: expected http:// or https://: " + std::string(origin)));
    if (rest.empty() || rest.find_first_of("/?#@ \t\r\n") != std::string_view::npos)
        return fail(
            perm("5.3.5", "--origin: scheme://host[:port], no path: " + std::string(origin)));
    // As browsers send it in Origin: scheme and host in lower case.
    config.origin = std::string(origin);
    for (char& c : config.origin)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return {};
}

std::string site_origin(const Config& config) {
    if (!config.origin.empty())
        return config.origin;
    const bool v6 = config.address.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + config.address + "]" : config.address) + ":" +
           std::to_string(config.port);
}

bool list_is_archived(const std::string& dir) {
    return qm::lists::has_flag(dir, "archived");
}

bool list_is_public(const std::string& dir) {
    return list_is_archived(dir) && qm::lists::has_flag(dir, "public") &&
           !qm::lists::has_flag(dir, "modgetonly") && !qm::lists::has_flag(dir, "subgetonly");
}

} // namespace qm::web::server

#include "qm/remote/routes.hpp"

#include "qm/address.hpp"

#include <charconv>

namespace qm::remote {

Relay parse_relay(std::string_view text, unsigned short default_port) {
    Relay r;
    r.port = default_port;
    size_t search_from = 0;
    if (text.starts_with('[')) {
        size_t close = text.find(']');
        search_from = close == std::string_view::npos ? text.size() : close;
    }
    size_t colon = text.find(':', search_from);
    r.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
        std::string_view p = text.substr(colon + 1);
        unsigned long port = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
        if (ec == std::errc() && end == p.data() + p.size() && port > 0 && port < 65536)
            r.port = static_cast<unsigned short>(port);
    }
    return r;
}

void Routes::set(const std::vector<std::string>& lines) {
    map_.clear();
    for (const auto& l : lines) {
        size_t colon = l.find(':');
        if (colon == std::string::npos)
            continue; // qmail's constmap ignores lines without a colon
        map_.emplace(address::lowercase(l.substr(0, colon)),
                     parse_relay(std::string_view(l).substr(colon + 1), default_port_));
    }
}

std::optional<Relay> Routes::lookup(std::string_view domain) const {
    if (map_.empty())
        return std::nullopt;
    const std::string host = address::lowercase(domain);
    // qmail-remote: the whole host, then every suffix starting at a dot, then "".
    for (size_t i = 0; i <= host.size(); ++i) {
        if (i != 0 && i != host.size() && host[i] != '.')
            continue;
        auto it = map_.find(host.substr(i));
        if (it != map_.end())
            return it->second;
    }
    return std::nullopt;
}

} // namespace qm::remote

#include "qm/web/server/html.hpp"

#include <vector>

namespace qm::web::server {

namespace {

bool local_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '%' || c == '+' || c == '-' || c == '=';
}
bool domain_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

// The domain part as shown: its first character (a whole UTF-8 sequence) and "…".
std::string hidden_domain(std::string_view domain) {
    if (domain.empty())
        return "…";
    size_t n = 1;
    while (n < domain.size() && (static_cast<unsigned char>(domain[n]) & 0xC0) == 0x80)
        ++n;
    return std::string(domain.substr(0, n)) + "…";
}

} // namespace

std::string escape_html(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string obfuscate_address(std::string_view address) {
    const size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return std::string(address);
    return std::string(address.substr(0, at + 1)) + hidden_domain(address.substr(at + 1));
}

std::string obfuscate_addresses(std::string_view text) {
    std::string out;
    size_t copied = 0;
    for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
        if (at < copied)
            continue;
        size_t start = at;
        while (start > copied && local_char(text[start - 1]))
            --start;
        size_t end = at + 1;
        while (end < text.size() && domain_char(text[end]))
            ++end;
        // A domain ends at its last label: "far.example." at the end of a sentence.
        while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-'))
            --end;
        const std::string_view domain = text.substr(at + 1, end - at - 1);
        if (start == at || domain.find('.') == std::string_view::npos)
            continue;
        out.append(text.substr(copied, at + 1 - copied));
        out += hidden_domain(domain);
        copied = end;
    }
    out.append(text.substr(copied));
    return out;
}

std::string render_text(std::string_view text) {
    std::vector<std::string_view> lines;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        lines.push_back(line);
        pos = end + 1;
    }
    while (!lines.empty() && lines.back().empty())
        lines.pop_back();
    std::string out;
    size_t i = 0;
    while (i < lines.size()) {
        const bool quoted = lines[i].starts_with('>');
        size_t j = i;
        std::string block;
        while (j < lines.size() && lines[j].starts_with('>') == quoted) {
            block += escape_html(obfuscate_addresses(lines[j]));
            block += '\n';
            ++j;
        }
        if (quoted)
            out += "<details><summary>quoted text (" + std::to_string(j - i) +
                   (j - i == 1 ? " line" : " lines") + ")</summary><pre class=\"q\">" + block +
                   "</pre></details>\n";
        else
            out += "<pre>" + block + "</pre>\n";
        i = j;
    }
    return out;
}

} // namespace qm::web::server

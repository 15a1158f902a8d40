#include "qm/address.hpp"

#include "qm/ascii.hpp"

#include <algorithm>
#include <cctype>

namespace qm::address {

Parts split(std::string_view addr) {
    auto at = addr.rfind('@');
    if (at == std::string_view::npos)
        return {std::string(addr), {}};
    return {std::string(addr.substr(0, at)), std::string(addr.substr(at + 1))};
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = ascii_lower(c);
    return out;
}

namespace {

bool is_atom_char(unsigned char c) {
    if (c <= 32 || c >= 127)
        return false;
    switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '.':
    case '[':
    case ']':
        return false;
    default:
        return true;
    }
}

bool needs_quoting(std::string_view local) {
    if (local.empty())
        return true;
    if (local.front() == '.' || local.back() == '.')
        return true;
    for (size_t i = 0; i < local.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(local[i]);
        if (c == '.') {
            if (i + 1 < local.size() && local[i + 1] == '.')
                return true;
            continue;
        }
        if (!is_atom_char(c))
            return true;
    }
    return false;
}

} // namespace

std::string quote(std::string_view addr) {
    auto at = addr.rfind('@');
    std::string_view local = at == std::string_view::npos ? addr : addr.substr(0, at);
    std::string_view rest = at == std::string_view::npos ? std::string_view{} : addr.substr(at);
    if (!needs_quoting(local))
        return std::string(addr);
    std::string out = "\"";
    for (char c : local) {
        if (c == '"' || c == '\\' || c == '\r')
            out += '\\';
        out += c;
    }
    out += '"';
    out += rest;
    return out;
}

std::string quote_for_header(std::string_view addr) {
    if (addr.empty() || addr == "#@[]")
        return std::string(addr);
    return quote(addr);
}

std::string return_path_line(std::string_view sender) {
    std::string line = "Return-Path: <" + quote_for_header(sender);
    std::replace(line.begin(), line.end(), '\n', '_');
    return line + ">\n";
}

Result<Path> parse_path(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    if (text.empty() || text.front() != '<')
        return fail(perm("5.5.4", "path must be enclosed in <>"));
    text.remove_prefix(1);
    std::string addr;
    bool quoted = false;
    size_t i = 0;
    // A source route "@a,@b:" is dropped (RFC 5321 section 4.1.2, appendix C).
    if (!text.empty() && text.front() == '@') {
        auto colon = text.find(':');
        if (colon == std::string_view::npos)
            return fail(perm("5.5.4", "malformed source route"));
        i = colon + 1;
    }
    const auto is_envelope_breaking = [](char c) { return c == '\0' || c == '\n' || c == '\r'; };
    for (; i < text.size(); ++i) {
        char c = text[i];
        // A backslash escapes the next character, but never into the envelope: NUL
        // would split the queue's envelope record, CR/LF a protocol line.
        if (c == '\\' && i + 1 < text.size())
            c = text[++i];
        else if (c == '"') {
            quoted = !quoted;
            continue;
        } else if (c == '>' && !quoted)
            break;
        if (is_envelope_breaking(c))
            return fail(perm("5.5.4", "control character in address"));
        addr += c;
    }
    if (i >= text.size())
        return fail(perm("5.5.4", "path is missing its closing >"));
    Path p;
    p.address = std::move(addr);
    std::string_view params = text.substr(i + 1);
    while (!params.empty() && params.front() == ' ')
        params.remove_prefix(1);
    p.params = std::string(params);
    return p;
}

} // namespace qm::address

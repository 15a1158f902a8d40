#include "qm/lists/core/text_render.hpp"

#include "qm/address.hpp"

#include <cctype>

namespace qm::lists {

namespace {

// What ezmlm-idx 7 prints for a known tag its program has not set.
std::string_view placeholder(char letter) {
    switch (letter) {
    case 'X':
        return "??.";
    case 'C':
        return "????????????????????";
    default:
        return "?????";
    }
}

bool known_tag(char letter) {
    static constexpr std::string_view known = "ACHLRTXacdhlnrt0123456789";
    return known.find(letter) != std::string_view::npos;
}

std::string local_part(std::string_view address) {
    return std::string(address.substr(0, address.find('@')));
}

std::string quoted_local(std::string_view local) {
    // qm::address::quote quotes the whole address; with no '@' that is the local part.
    return address::quote(local);
}

} // namespace

void TextValues::derive(std::string_view outlocal) {
    if (auto a = tags.find('A'); a != tags.end()) {
        tags.try_emplace('a', local_part(a->second));
        std::string t = a->second;
        if (auto at = t.rfind('@'); at != std::string::npos)
            t[at] = '=';
        tags.try_emplace('t', t);
    }
    auto r = tags.find('R');
    if (r == tags.end())
        return;
    const std::string local = local_part(r->second);
    tags.try_emplace('r', local);
    const std::string prefix = std::string(outlocal) + "-";
    if (!local.starts_with(prefix))
        return;
    const std::string c = local.substr(prefix.size());
    tags.try_emplace('c', c);
    // "sc.T.C-box=host": the action with its dot, the time, the cookie.
    const auto dot1 = c.find('.');
    const auto dot2 = dot1 == std::string::npos ? dot1 : c.find('.', dot1 + 1);
    const auto dash = dot2 == std::string::npos ? dot2 : c.find('-', dot2 + 1);
    if (dash == std::string::npos)
        return;
    const std::string when = c.substr(dot1 + 1, dot2 - dot1 - 1);
    if (when.empty() || when.find_first_not_of("0123456789") != std::string::npos)
        return;
    tags.try_emplace('X', c.substr(0, dot1 + 1));
    tags.try_emplace('T', when);
    tags.try_emplace('C', c.substr(dot2 + 1, dash - dot2 - 1));
}

std::string expand_text_tags(std::string_view line, const TextValues& values, bool header) {
    std::string out;
    out.reserve(line.size());
    size_t i = 0;
    while (i < line.size()) {
        if (line[i] == '<' && i + 4 < line.size() && line[i + 1] == '#' && line[i + 3] == '#' &&
            line[i + 4] == '>') {
            char letter = line[i + 2];
            i += 5;
            if (!known_tag(letter)) {
                // ezmlm-idx removes a tag it does not know. Ours has one more, <#f#>
                // (the text being edited), which texts our earlier ezmlm-make wrote use.
                if (auto v = values.tags.find(letter); letter == 'f' && v != values.tags.end())
                    out += v->second;
                continue;
            }
            if (header && (letter == 'A' || letter == 't'))
                continue; // an address from the request has no place in a header
            if (letter == 'H')
                letter = 'h';
            if (auto v = values.tags.find(letter); v != values.tags.end()) {
                out += (letter == 'l' || letter == 'L') ? quoted_local(v->second) : v->second;
            } else if (letter >= '0' && letter <= '9') {
                // parameters are only ever set for messages; elsewhere they vanish
            } else {
                out += placeholder(letter);
            }
            continue;
        }
        out += line[i++];
    }
    return out;
}

std::string render_ezmlm_text(std::string_view source, const TextValues& values,
                              const FlagTest& flag_is_set) {
    std::string out;
    bool flags_matched = true;
    while (!source.empty()) {
        const auto nl = source.find('\n');
        const bool has_newline = nl != std::string_view::npos;
        // The line with its newline, as ezmlm-idx reads it.
        const std::string_view line = has_newline ? source.substr(0, nl + 1) : source;
        source.remove_prefix(line.size());
        if (line[0] == '#')
            continue;
        // !R and !A lines are sent whatever condition is in force, as ezmlm-idx does.
        if (line.size() >= 2 && line[0] == '!' && (line[1] == 'R' || line[1] == 'A')) {
            const char letter = line[1];
            auto v = values.tags.find(letter);
            out += "   ";
            out += v != values.tags.end() ? std::string_view(v->second) : placeholder(letter);
            out += '\n';
            continue;
        }
        // "<=FLAGS=>\n": the whole line, newline included, is the condition.
        if (line.size() >= 5 && line[0] == '<' && line[1] == '=' && line[line.size() - 3] == '=' &&
            line[line.size() - 2] == '>') {
            flags_matched = true;
            for (size_t pos = 2; flags_matched && pos < line.size() - 3; ++pos) {
                const char c = line[pos];
                flags_matched = std::isalnum(static_cast<unsigned char>(c)) != 0 &&
                                (c & 0x80) == 0 && flag_is_set(c);
            }
            continue;
        }
        if (!flags_matched)
            continue;
        out += expand_text_tags(line, values, false);
        if (!has_newline)
            out += '\n';
    }
    return out;
}

std::optional<std::string> messages_entry(std::string_view messages_file, std::string_view key) {
    while (!messages_file.empty()) {
        const auto nl = messages_file.find('\n');
        const std::string_view line = messages_file.substr(0, nl);
        messages_file.remove_prefix(nl == std::string_view::npos ? line.size() : nl + 1);
        if (line.empty() || line[0] == '#')
            continue;
        const auto colon = line.find(':');
        if (colon != key.size())
            continue;
        bool same = true; // ezmlm-idx's constmap ignores case
        for (size_t i = 0; same && i < colon; ++i)
            same = std::tolower(static_cast<unsigned char>(line[i])) ==
                   std::tolower(static_cast<unsigned char>(key[i]));
        if (same)
            return std::string(line.substr(colon + 1));
    }
    return std::nullopt;
}

} // namespace qm::lists

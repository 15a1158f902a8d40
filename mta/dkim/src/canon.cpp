#include "qm/dkim/canon.hpp"

#include <algorithm>

namespace qm::dkim {

namespace {

bool wsp(char c) {
    return c == ' ' || c == '\t';
}

// Folding white space as it is stored: blanks and the line ends between them.
bool fws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim_fws(std::string_view s) {
    while (!s.empty() && fws(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && fws(s.back()))
        s.remove_suffix(1);
    return s;
}

bool tag_name_ok(std::string_view name) {
    if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

// Calls line(text) for each line of body without its line end (LF, or CRLF); a last line
// without LF is a line too.
template <class F>
void each_line(std::string_view body, F&& line) {
    size_t pos = 0;
    while (pos < body.size()) {
        const size_t nl = body.find('\n', pos);
        if (nl == std::string_view::npos) {
            line(body.substr(pos));
            return;
        }
        std::string_view l = body.substr(pos, nl - pos);
        if (l.ends_with('\r'))
            l.remove_suffix(1);
        line(l);
        pos = nl + 1;
    }
}

} // namespace

MessageParts split_message(std::string_view message) {
    MessageParts out;
    size_t pos = 0;
    size_t start = std::string_view::npos; // the field being read
    size_t end = 0;                        // and the end of its last line, line end excluded
    while (pos < message.size()) {
        const size_t nl = message.find('\n', pos);
        const size_t next = nl == std::string_view::npos ? message.size() : nl + 1;
        size_t stop = nl == std::string_view::npos ? message.size() : nl;
        if (stop > pos && message[stop - 1] == '\r' && nl != std::string_view::npos)
            --stop;
        if (stop == pos && nl != std::string_view::npos) { // the empty line
            pos = next;
            break;
        }
        if (wsp(message[pos]) && start != std::string_view::npos) {
            end = stop; // a continuation line
        } else {
            if (start != std::string_view::npos)
                out.fields.push_back(message.substr(start, end - start));
            start = pos;
            end = stop;
        }
        pos = next;
    }
    if (start != std::string_view::npos)
        out.fields.push_back(message.substr(start, end - start));
    out.body = message.substr(std::min(pos, message.size()));
    return out;
}

std::string_view field_name(std::string_view field) {
    std::string_view name = field.substr(0, field.find(':'));
    while (!name.empty() && wsp(name.back()))
        name.remove_suffix(1);
    return name;
}

bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

std::string relaxed_header(std::string_view field) {
    const size_t colon = field.find(':');
    std::string out;
    out.reserve(field.size() + 2);
    // Unfolded too: a line without a colon is all name, and may have continuation lines.
    const std::string_view name = field_name(field);
    for (size_t i = 0; i < name.size(); ++i)
        if (name[i] != '\n' && !(name[i] == '\r' && i + 1 < name.size() && name[i + 1] == '\n'))
            out += lower(name[i]);
    while (!out.empty() && wsp(out.back()))
        out.pop_back();
    out += ':';
    if (colon != std::string_view::npos) {
        const std::string_view value = field.substr(colon + 1);
        bool blank = false;   // a run of blanks waits for the next character
        bool started = false; // none before the value's first character
        for (size_t i = 0; i < value.size(); ++i) {
            const char c = value[i];
            // Unfolding: a line end goes, the blanks after it join the run.
            if (c == '\n' || (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n'))
                continue;
            if (wsp(c)) {
                blank = true;
                continue;
            }
            if (blank && started)
                out += ' ';
            blank = false;
            started = true;
            out += c;
        }
    }
    out += "\r\n";
    return out;
}

std::string simple_header(std::string_view field) {
    std::string out;
    out.reserve(field.size() + 8);
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\n' && (i == 0 || field[i - 1] != '\r'))
            out += '\r';
        out += field[i];
    }
    out += "\r\n";
    return out;
}

std::string relaxed_body(std::string_view body) {
    std::string out;
    out.reserve(body.size() + body.size() / 32);
    size_t empty = 0; // empty lines not written yet: they count only if text follows
    each_line(body, [&](std::string_view line) {
        std::string l;
        bool blank = false;
        for (const char c : line) {
            if (wsp(c)) {
                blank = true;
                continue;
            }
            if (blank)
                l += ' ';
            blank = false;
            l += c;
        }
        if (l.empty()) {
            ++empty;
            return;
        }
        for (; empty > 0; --empty)
            out += "\r\n";
        out += l;
        out += "\r\n";
    });
    return out;
}

std::string simple_body(std::string_view body) {
    std::string out;
    out.reserve(body.size() + body.size() / 32);
    size_t empty = 0;
    each_line(body, [&](std::string_view line) {
        if (line.empty()) {
            ++empty;
            return;
        }
        for (; empty > 0; --empty)
            out += "\r\n";
        out += line;
        out += "\r\n";
    });
    return out.empty() ? std::string("\r\n") : out;
}

std::optional<std::vector<Tag>> parse_tags(std::string_view text) {
    std::vector<Tag> tags;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t semi = std::min(text.find(';', pos), text.size());
        const std::string_view spec = trim_fws(text.substr(pos, semi - pos));
        pos = semi + 1;
        if (spec.empty()) {
            if (pos >= text.size())
                break; // "a=1;" ends the list
            return std::nullopt;
        }
        const size_t eq = spec.find('=');
        if (eq == std::string_view::npos)
            return std::nullopt;
        Tag t{std::string(trim_fws(spec.substr(0, eq))),
              std::string(trim_fws(spec.substr(eq + 1)))};
        if (!tag_name_ok(t.name) || tag_value(tags, t.name))
            return std::nullopt;
        tags.push_back(std::move(t));
    }
    return tags;
}

std::optional<std::string_view> tag_value(const std::vector<Tag>& tags, std::string_view name) {
    for (const auto& t : tags)
        if (t.name == name) // tag names are case-sensitive (RFC 6376 3.2)
            return std::string_view(t.value);
    return std::nullopt;
}

std::string without_signature(std::string_view field) {
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos)
        return std::string(field);
    size_t pos = colon + 1;
    while (pos < field.size()) {
        size_t name = pos;
        while (name < field.size() && fws(field[name]))
            ++name;
        size_t after = name;
        while (after < field.size() && !fws(field[after]) && field[after] != '=' &&
               field[after] != ';')
            ++after;
        size_t eq = after;
        while (eq < field.size() && fws(field[eq]))
            ++eq;
        const size_t semi = std::min(field.find(';', pos), field.size());
        if (field.substr(name, after - name) == "b" && eq < field.size() && field[eq] == '=')
            return std::string(field.substr(0, eq + 1)) + std::string(field.substr(semi));
        pos = semi + 1;
    }
    return std::string(field);
}

} // namespace qm::dkim

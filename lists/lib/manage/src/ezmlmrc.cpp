#include "qm/lists/manage/ezmlmrc.hpp"

#include <set>

namespace qm::lists {

namespace {

Failure bad_line(size_t number, std::string_view line, std::string_view why) {
    return perm("5.3.5", "ezmlmrc line " + std::to_string(number) + ": " + std::string(why) + ": " +
                             std::string(line));
}

// A content line with the <#x#> substitutions made.
std::string substitute(std::string_view line, const EzmlmrcValues& v, const std::string& flags) {
    std::string out;
    out.reserve(line.size());
    for (size_t i = 0; i < line.size();) {
        if (line[i] == '<' && i + 4 < line.size() && line[i + 1] == '#' && line[i + 3] == '#' &&
            line[i + 4] == '>') {
            const char tag = line[i + 2];
            switch (tag) {
            case 'B':
                out += v.bin;
                break;
            case 'C':
                out += v.code;
                break;
            case 'D':
                out += v.dir;
                break;
            case 'F':
                out += flags;
                break;
            case 'H':
                out += v.host;
                break;
            case 'L':
                out += v.local;
                break;
            case 'T':
                out += v.dot;
                break;
            case 'X':
                out += v.rc_name;
                break;
            default:
                if (tag >= '0' && tag <= '9')
                    out += v.args[static_cast<size_t>(tag - '0')];
                else
                    out.append(line.substr(i, 5)); // for the list programs' texts
            }
            i += 5;
        } else {
            out += line[i++];
        }
    }
    return out;
}

// The parts of a tag line </name#flags/>.
struct Tag {
    std::string_view name;  // after "</", up to '#' or "/>"
    std::string_view flags; // between '#' and "/>"
};

Result<Tag> parse_tag(std::string_view line, size_t number) {
    if (line.find('.') != std::string_view::npos)
        return fail(bad_line(number, line, "a tag must not contain a period"));
    const size_t hash = line.find('#', 2);
    if (hash != std::string_view::npos) {
        const size_t slash = line.find('/', hash + 1);
        if (slash == std::string_view::npos || slash + 1 >= line.size() || line[slash + 1] != '>')
            return fail(bad_line(number, line, "the tag does not end in />"));
        // ezmlm-idx stops at a flag followed by '>' and refuses the tag.
        if (slash > hash + 2 &&
            line.substr(hash + 2, slash - hash - 2).find('>') != std::string_view::npos)
            return fail(bad_line(number, line, "the tag does not end in />"));
        return Tag{line.substr(2, hash - 2), line.substr(hash + 1, slash - hash - 1)};
    }
    for (size_t slash = line.find('/', 2); slash != std::string_view::npos;
         slash = line.find('/', slash + 1))
        if (slash + 1 < line.size() && line[slash + 1] == '>')
            return Tag{line.substr(2, slash - 2), {}};
    return fail(bad_line(number, line, "the tag does not end in />"));
}

} // namespace

std::string flags_word(const std::array<bool, 26>& flags) {
    std::string out = "-";
    for (size_t i = 0; i < flags.size(); ++i)
        out += static_cast<char>((flags[i] ? 'a' : 'A') + static_cast<int>(i));
    return out;
}

std::array<std::string, 2> dot_extensions(std::string_view dot) {
    std::array<std::string, 2> ext;
    const size_t slash = dot.rfind('/');
    if (slash == std::string_view::npos)
        return ext;
    const size_t dash = dot.find('-', slash);
    if (dash == std::string_view::npos)
        return ext;
    // ext1 and ext2 are taken only when a '-' follows each of them.
    const size_t first = dash + 1;
    const size_t end1 = dot.find('-', first);
    if (end1 == std::string_view::npos)
        return ext;
    ext[0] = std::string(dot.substr(first, end1 - first));
    const size_t end2 = dot.find('-', end1 + 1);
    if (end2 != std::string_view::npos)
        ext[1] = std::string(dot.substr(end1 + 1, end2 - end1 - 1));
    return ext;
}

Result<EzmlmrcScript> interpret_ezmlmrc(std::string_view text, const EzmlmrcValues& values,
                                        const std::function<bool(const std::string&)>& exists) {
    EzmlmrcScript script;
    const std::string flags = flags_word(values.flags);
    // Complete lines only: ezmlm-idx drops a last line without its newline.
    std::vector<std::string_view> lines;
    for (size_t p = 0, nl; (nl = text.find('\n', p)) != std::string_view::npos; p = nl + 1)
        lines.push_back(text.substr(p, nl - p));
    if (lines.empty())
        return fail(perm("5.3.5", "ezmlmrc is empty (line 1 must name its version)"));
    script.version_matches = lines.front().starts_with("7.2");

    std::string file; // the name of the last file tag
    constexpr size_t none = static_cast<size_t>(-1);
    size_t open = none;   // the step of the file being written, if any
    bool writing = false; // content lines go to that file
    std::set<std::string> written;
    for (size_t n = 1; n < lines.size(); ++n) {
        const std::string_view line = lines[n];
        const size_t number = n + 1;
        if (line.starts_with('#'))
            continue;
        if (!line.starts_with("</")) {
            if (writing && open != none) {
                auto& to = script.steps[open].text;
                to += substitute(line, values, flags);
                to += '\n';
            }
            continue;
        }
        auto tag = parse_tag(line, number);
        if (!tag)
            return fail(tag.error());
        bool wanted = true;
        bool only_if_missing = false;
        bool negate = false;
        for (char c : tag->flags) {
            if (c == '^') {
                negate = true;
                continue;
            }
            if ((c == 'E' && !negate) || (c == 'e' && negate)) {
                if (values.edit && !values.force)
                    only_if_missing = true;
            } else if (c >= 'a' && c <= 'z') {
                wanted = wanted && (values.flags[static_cast<size_t>(c - 'a')] != negate);
            } else if (c >= 'A' && c <= 'Z') {
                wanted = wanted && (values.flags[static_cast<size_t>(c - 'A')] == negate);
            } else if (c >= '0' && c <= '9') {
                wanted = wanted && (!values.args[static_cast<size_t>(c - '0')].empty() != negate);
            }
            negate = false;
        }
        const std::string_view name = tag->name;
        const char kind = name.empty() ? '\0' : name.front();
        if (kind == '+' || kind == '-' || kind == ':') {
            // Directories, removals and links leave the open file open (</#x/> goes on
            // with it), but the lines after them go nowhere.
            writing = false;
            if (!wanted)
                continue;
            if (kind == ':') {
                const size_t slash = name.find('/');
                if (slash == std::string_view::npos)
                    return fail(bad_line(number, line, "a link needs ext/name"));
                script.steps.push_back({EzmlmrcStep::Kind::link,
                                        std::string(name.substr(1, slash - 1)),
                                        std::string(name.substr(slash)),
                                        {}});
            } else {
                script.steps.push_back(
                    {kind == '+' ? EzmlmrcStep::Kind::make_dir : EzmlmrcStep::Kind::remove,
                     "/" + std::string(name.substr(1)),
                     {},
                     {}});
            }
            writing = false;
            continue;
        }
        if (!name.empty())
            file = "/" + std::string(name);
        const bool same_file = open != none && script.steps[open].name == file;
        if (same_file) {
            // </#flags/>: more for the open file, if these flags want it.
            writing = wanted;
            continue;
        }
        // Another file (or the same one reopened after it was closed): written afresh.
        open = none;
        writing = false;
        const bool missing = !only_if_missing || (!written.contains(file) && !exists(file));
        if (wanted && missing) {
            if (file.empty())
                return fail(bad_line(number, line, "no file to add to"));
            script.steps.push_back({EzmlmrcStep::Kind::write, file, {}, {}});
            open = script.steps.size() - 1;
            written.insert(file);
            writing = true;
        }
    }
    return script;
}

} // namespace qm::lists

#include "qm/fwd/table.hpp"

#include "qm/address.hpp"
#include "qm/cdb.hpp"
#include "qm/fd.hpp"

namespace qm::fwd {

namespace {

Failure bad(std::string text) {
    return perm("5.3.5", std::move(text));
}

// setforward's escapes on output: controls, space, '#', ',', ':', ';', '\' and 8-bit
// bytes get a backslash (DEL does not, exactly as printforward 0.51).
void append_escaped(std::string& out, std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 32 || u >= 128 || c == '#' || c == ',' || c == ':' || c == ';' || c == '\\')
            out += '\\';
        out += c;
    }
}

} // namespace

Status parse_setforward(std::string_view in, const RecordSink& sink) {
    // State machine over bytes: spaces, tabs and newlines vanish everywhere (so a program
    // with arguments loses its spaces, as in the original), '#' runs to end of line,
    // '\' takes the next byte literally.
    std::string target, command, data, owner;
    bool have_colon = false, have_owner = false;
    auto end_command = [&]() {
        if (command.empty())
            return;
        switch (command[0]) {
        case '?':
            owner = command.substr(1);
            have_owner = true;
            break;
        case '&':
        case '.':
        case '/':
        case '|':
        case '!':
            data += command;
            data += '\0';
            break;
        default:
            data += '&';
            data += command;
            data += '\0';
        }
        command.clear();
    };
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '\0')
            return fail(bad("NUL bytes are not permitted"));
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '#') {
            while (i < in.size() && in[i] != '\n')
                ++i;
            continue;
        }
        if (c == '\\') {
            if (++i >= in.size())
                break;
            if (in[i] == '\0')
                return fail(bad("NUL bytes are not permitted"));
            (have_colon ? command : target) += in[i];
            continue;
        }
        if (!have_colon) {
            if (c == ',')
                return fail(bad("commas are not permitted before colons"));
            if (c == ';')
                return fail(bad("commas are not permitted before colons"));
            if (c == ':') {
                have_colon = true;
                continue;
            }
            target += c;
            continue;
        }
        if (c == ':')
            return fail(bad("double colons are not permitted"));
        if (c == ',') {
            end_command();
            continue;
        }
        if (c == ';') {
            end_command();
            std::string key = address::lowercase(target);
            if (have_owner)
                if (auto r = sink("?" + key, owner); !r)
                    return r;
            if (!data.empty())
                if (auto r = sink(":" + key, data); !r)
                    return r;
            target.clear();
            data.clear();
            owner.clear();
            have_owner = have_colon = false;
            continue;
        }
        command += c;
    }
    if (have_colon || !target.empty())
        return fail(bad("final instruction must end with semicolon"));
    return {};
}

Result<std::vector<Record>> parse_setforward(std::string_view input) {
    std::vector<Record> out;
    auto r = parse_setforward(input, [&](std::string_view k, std::string_view d) -> Status {
        out.push_back({std::string(k), std::string(d)});
        return {};
    });
    if (!r)
        return fail(r.error());
    return out;
}

Result<std::string>
format_printforward(const std::vector<std::pair<std::string, std::string>>& records) {
    std::string out;
    for (const auto& [key, data] : records) {
        if (key.empty() || (key[0] != ':' && key[0] != '?'))
            return fail(bad("bad database format"));
        append_escaped(out, std::string_view(key).substr(1));
        if (key[0] == '?') {
            out += ": ?";
            append_escaped(out, data);
            out += ";\n";
            continue;
        }
        out += ":\n";
        std::string_view rest = data;
        while (!rest.empty()) {
            auto nul = rest.find('\0');
            out += ", ";
            append_escaped(out, rest.substr(0, nul));
            out += '\n';
            if (nul == std::string_view::npos)
                break;
            rest.remove_prefix(nul + 1);
        }
        out += ";\n";
    }
    return out;
}

Status write_table(const std::string& path, const std::vector<Record>& records) {
    auto w = cdb::Writer::create(path, 0644);
    if (!w)
        return fail(w.error());
    for (const auto& r : records)
        if (auto s = w->add(r.key, r.data); !s)
            return s;
    return w->commit();
}

std::string compile_maillist(std::string_view in) {
    std::string out;
    while (!in.empty()) {
        auto nl = in.find('\n');
        std::string_view line = in.substr(0, nl);
        in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        if (line.empty() || line[0] == '#')
            continue;
        if (line[0] != '&' && line[0] != '/' && line[0] != '.')
            out += '&';
        out += line;
        out += '\0';
    }
    return out;
}

Result<std::string> format_maillist(std::string_view bin) {
    std::string out;
    while (!bin.empty()) {
        auto nul = bin.find('\0');
        if (nul == std::string_view::npos)
            return fail(bad("bad mailing list format"));
        std::string_view entry = bin.substr(0, nul);
        if (entry.empty() || (entry[0] != '&' && entry[0] != '/' && entry[0] != '.'))
            return fail(bad("bad mailing list format"));
        out += entry;
        out += '\n';
        bin.remove_prefix(nul + 1);
    }
    return out;
}

} // namespace qm::fwd

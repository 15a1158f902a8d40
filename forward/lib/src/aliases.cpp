#include "qm/fwd/aliases.hpp"

#include "qm/address.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

namespace qm::fwd {

namespace {

Failure at_line(const std::string& file, std::size_t line, const std::string& what) {
    return perm("5.3.5", file + ":" + std::to_string(line) + ": " + what);
}

Failure unparsable(const std::string& file, std::size_t line, std::string_view text,
                   const std::string& why) {
    return at_line(file, line, "unable to parse this line (" + why + "): " + std::string(text));
}

// One recipient as a table command, or the reason it is refused.
Result<std::string> command_for(const Item& it, const Qualify& q, bool allow_programs,
                                std::string_view include_suffix) {
    if (it.kind == Item::Kind::include) {
        if (it.text.empty())
            return fail(perm("5.3.5", "empty :include: filenames not permitted"));
        if (it.text.find('\0') != std::string::npos)
            return fail(perm("5.3.5", "NUL not permitted in :include: filenames"));
        std::string name = it.text[0] == '/' ? it.text : "./" + it.text;
        return name + std::string(include_suffix);
    }
    if (it.text.empty())
        return fail(perm("5.1.3", "empty recipient addresses not permitted"));
    // A NUL would split the command in the table (and the envelope) in two.
    if (it.text.find('\0') != std::string::npos)
        return fail(perm("5.1.3", "NUL not permitted in addresses"));
    if (!it.has_at && it.text[0] == '|') {
        if (!allow_programs)
            return fail(perm("5.3.5", "program delivery " + it.text + " not supported"));
        return "!" + it.text.substr(1);
    }
    if (!it.has_at && it.text[0] == '/')
        return fail(perm("5.3.5", "file delivery " + it.text + " not supported"));
    return "&" + qualify(it, q);
}

// Appends the commands for items [first, last) (already in reverse written order).
// newaliases 0.51 holds each address back until it meets the next one, while programs
// and lists are written at once; so a program or list lands one place before the
// address that precedes it here. Reproduced so that both builds give identical tables.
template <class It>
Status append_commands(std::string& data, It first, It last, const Qualify& q, bool allow_programs,
                       std::string_view include_suffix) {
    std::optional<std::string> held;
    for (; first != last; ++first) {
        auto cmd = command_for(*first, q, allow_programs, include_suffix);
        if (!cmd)
            return fail(cmd.error());
        if ((*cmd)[0] == '&') {
            if (held)
                (data += *held) += '\0';
            held = std::move(*cmd);
        } else {
            (data += *cmd) += '\0';
        }
    }
    if (held)
        (data += *held) += '\0';
    return {};
}

// Calls fn(first_line_number, logical_line) for each instruction; next_line(line) gives
// the physical lines (without '\n') and returns false at the end.
template <class NextLine, class Fn>
Status for_each_instruction(NextLine&& next_line, Fn&& fn) {
    std::string logical;
    std::size_t first = 0, lineno = 0;
    bool have = false;
    auto flush = [&]() -> Status {
        if (!have)
            return {};
        have = false;
        return fn(first, std::string_view(logical));
    };
    std::string_view line;
    for (;;) {
        auto more = next_line(line);
        if (!more)
            return fail(more.error());
        if (!*more)
            break;
        ++lineno;
        bool continuation = line.empty() || line == "\r" || line[0] == ' ' || line[0] == '\t';
        if (continuation && have) {
            logical += '\n';
            logical += line;
            continue;
        }
        if (auto r = flush(); !r)
            return r;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos)
            continue;
        logical.assign(line);
        first = lineno;
        have = true;
    }
    return flush();
}

// Physical lines of text in memory.
struct ViewLines {
    std::string_view rest;
    Result<bool> operator()(std::string_view& line) {
        if (rest.empty())
            return false;
        auto nl = rest.find('\n');
        line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        return true;
    }
};

// Physical lines read from a file in blocks, so that a table of millions of aliases
// costs the memory of one block and the cdb index, not of the whole file.
struct FdLines {
    int fd;
    std::string file;
    std::string buf;
    std::size_t pos = 0;
    bool eof = false;
    Result<bool> operator()(std::string_view& line) {
        for (;;) {
            auto nl = buf.find('\n', pos);
            if (nl != std::string::npos) {
                line = std::string_view(buf).substr(pos, nl - pos);
                pos = nl + 1;
                return true;
            }
            if (eof) {
                if (pos >= buf.size())
                    return false;
                line = std::string_view(buf).substr(pos);
                pos = buf.size();
                return true;
            }
            buf.erase(0, pos);
            pos = 0;
            std::size_t old = buf.size();
            buf.resize(old + block);
            ssize_t n;
            do
                n = ::read(fd, buf.data() + old, block);
            while (n < 0 && errno == EINTR);
            if (n < 0)
                return fail(from_errno(errno, "unable to read " + file));
            buf.resize(old + static_cast<std::size_t>(n));
            eof = n == 0;
        }
    }
    static constexpr std::size_t block = 1 << 16;
};

std::string first_line_of(std::string_view logical) {
    auto s = std::string(logical.substr(0, logical.find('\n')));
    if (!s.empty() && s.back() == '\r')
        s.pop_back();
    return s;
}

template <class NextLine>
Status compile_instructions(NextLine&& lines, const std::string& file, const Qualify& q,
                            const RecordSink& sink) {
    std::string data;
    return for_each_instruction(lines, [&](std::size_t line, std::string_view text) -> Status {
        std::size_t start = text.find_first_not_of(" \t");
        if (text[start] == '#')
            return {};
        auto items = parse_address_list(text, true);
        if (!items)
            return fail(unparsable(file, line, first_line_of(text), items.error().text));
        if (items->size() < 2)
            return fail(unparsable(file, line, first_line_of(text), "no recipients"));
        const Item& target = items->front();
        if (target.kind != Item::Kind::address || target.text.empty() || target.dangling_at ||
            (target.has_at && target.at + 1 == target.text.size()) ||
            (target.has_at && target.at == 0 && !target.leading_at))
            return fail(unparsable(file, line, first_line_of(text), "bad alias name"));
        std::string key = address::lowercase(target.has_at ? target.text : target.text + "@");
        data.clear();
        if (auto r = append_commands(data, items->rbegin(), items->rend() - 1, q, true, ".bin"); !r)
            return fail(at_line(file, line, r.error().text));
        // "owner-list" also makes its own address the envelope sender for "list".
        std::string_view local =
            std::string_view(target.text).substr(0, target.has_at ? target.at : target.text.size());
        if (local.starts_with("owner-")) {
            std::string domain = target.has_at ? target.text.substr(target.at + 1) : "";
            std::string list(local.substr(6));
            if (auto r = sink("?" + address::lowercase(list + "@" + domain),
                              "owner-" + list + "@" + (domain.empty() ? q.me : domain));
                !r)
                return r;
        }
        return sink(":" + key, data);
    });
}

} // namespace

Status compile_aliases(std::string_view content, const std::string& file, const Qualify& q,
                       const RecordSink& sink) {
    return compile_instructions(ViewLines{content}, file, q, sink);
}

Status compile_aliases_fd(int fd, const std::string& file, const Qualify& q,
                          const RecordSink& sink) {
    return compile_instructions(FdLines{fd, file, {}, 0, false}, file, q, sink);
}

Result<std::string> compile_include(std::string_view content, const std::string& file,
                                    const Qualify& q) {
    std::string out;
    std::size_t lineno = 0;
    while (!content.empty()) {
        auto nl = content.find('\n');
        std::string_view line = content.substr(0, nl);
        content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
        ++lineno;
        if (!line.empty() && line[0] == '#')
            continue;
        auto items = parse_address_list(line);
        if (!items)
            return fail(unparsable(file, lineno, line, items.error().text));
        // newinclude writes plainly in reverse, without newaliases' held-back address.
        for (auto it = items->rbegin(); it != items->rend(); ++it) {
            auto cmd = command_for(*it, q, false, "");
            if (!cmd)
                return fail(at_line(file, lineno, cmd.error().text));
            (out += *cmd) += '\0';
        }
    }
    return out;
}

} // namespace qm::fwd

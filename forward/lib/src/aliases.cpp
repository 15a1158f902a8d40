#include "qm/fwd/aliases.hpp"

#include "qm/address.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <span>

namespace qm::fwd {

namespace {

Failure at_line(const std::string& file, std::size_t line, const std::string& what) {
    return perm("5.3.5", file + ":" + std::to_string(line) + ": " + what);
}

Failure unparsable(const std::string& file, std::size_t line, std::string_view text,
                   const std::string& why) {
    return at_line(file, line, "unable to parse this line (" + why + "): " + std::string(text));
}

// Appends one recipient's table command to out, or says why it is refused.
Status append_command(std::string& out, const ItemView& it, const Qualify& q, bool allow_programs,
                      std::string_view include_suffix) {
    if (it.kind == Item::Kind::include) {
        if (it.text.empty())
            return fail(perm("5.3.5", "empty :include: filenames not permitted"));
        if (it.text.find('\0') != std::string_view::npos)
            return fail(perm("5.3.5", "NUL not permitted in :include: filenames"));
        if (it.text[0] != '/')
            out += "./";
        (out += it.text) += include_suffix;
        return {};
    }
    if (it.text.empty())
        return fail(perm("5.1.3", "empty recipient addresses not permitted"));
    // A NUL would split the command in the table (and the envelope) in two.
    if (it.text.find('\0') != std::string_view::npos)
        return fail(perm("5.1.3", "NUL not permitted in addresses"));
    if (!it.has_at && it.text[0] == '|') {
        if (!allow_programs)
            return fail(
                perm("5.3.5", "program delivery " + std::string(it.text) + " not supported"));
        (out += '!') += it.text.substr(1);
        return {};
    }
    if (!it.has_at && it.text[0] == '/')
        return fail(perm("5.3.5", "file delivery " + std::string(it.text) + " not supported"));
    out += '&';
    append_qualified(out, it, q);
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
            // Only the unfinished last line moves to the front.
            buf.erase(0, pos);
            pos = 0;
            if (auto r = fill(); !r)
                return fail(r.error());
        }
    }
    // Appends up to one block from fd, without zeroing the space first.
    Status fill() {
        std::size_t old = buf.size();
        ssize_t n;
        buf.resize_and_overwrite(old + block, [&](char* p, std::size_t) {
            do
                n = ::read(fd, p + old, block);
            while (n < 0 && errno == EINTR);
            return old + (n > 0 ? static_cast<std::size_t>(n) : 0);
        });
        if (n < 0)
            return fail(from_errno(errno, "unable to read " + file));
        eof = n == 0;
        return {};
    }
    static constexpr std::size_t block = 1 << 16;
};

std::string first_line_of(std::string_view logical) {
    auto s = std::string(logical.substr(0, logical.find('\n')));
    if (!s.empty() && s.back() == '\r')
        s.pop_back();
    return s;
}

// address::lowercase() without a string of its own. ASCII only, as std::tolower() is in
// the "C" locale our programs run in (none calls setlocale), but without a call per byte.
void append_lowercase(std::string& out, std::string_view s) {
    std::size_t old = out.size();
    out += s;
    for (std::size_t j = old; j < out.size(); ++j)
        if (out[j] >= 'A' && out[j] <= 'Z')
            out[j] = static_cast<char>(out[j] - 'A' + 'a');
}

// Turns instructions into records one at a time. Its buffers (the parser's, the key's,
// the commands') are reused from one alias to the next: a million aliases cost no
// allocation each.
class AliasCompiler {
public:
    AliasCompiler(const std::string& file, const Qualify& q, const RecordSink& sink)
        : file_(file)
        , q_(q)
        , sink_(sink) {}

    Status instruction(std::size_t line, std::string_view text) {
        std::size_t start = text.find_first_not_of(" \t");
        if (text[start] == '#')
            return {};
        auto items = parser_.parse(text, true);
        if (!items)
            return fail(unparsable(file_, line, first_line_of(text), items.error().text));
        if (items->size() < 2)
            return fail(unparsable(file_, line, first_line_of(text), "no recipients"));
        const ItemView& target = items->front();
        if (target.kind != Item::Kind::address || target.text.empty() || target.dangling_at ||
            (target.has_at && target.at + 1 == target.text.size()) ||
            (target.has_at && target.at == 0 && !target.leading_at))
            return fail(unparsable(file_, line, first_line_of(text), "bad alias name"));
        key_.assign(1, ':');
        append_lowercase(key_, target.text);
        if (!target.has_at)
            key_ += '@';
        data_.clear();
        if (auto r = append_recipients(items->subspan(1)); !r)
            return fail(at_line(file_, line, r.error().text));
        if (auto r = owner_record(target); !r)
            return r;
        return sink_(key_, data_);
    }

private:
    // Appends the recipients' commands to data_, last first. newaliases 0.51 holds each
    // address back until it meets the next one, while programs and lists are written at
    // once; so a program or list lands one place before the address that precedes it here.
    // Reproduced so that both builds give identical tables.
    Status append_recipients(std::span<const ItemView> recipients) {
        bool holding = false;
        for (auto it = recipients.rbegin(); it != recipients.rend(); ++it) {
            cmd_.clear();
            if (auto r = append_command(cmd_, *it, q_, true, ".bin"); !r)
                return r;
            if (cmd_[0] == '&') {
                if (holding)
                    (data_ += held_) += '\0';
                std::swap(held_, cmd_); // both keep their capacity
                holding = true;
            } else {
                (data_ += cmd_) += '\0';
            }
        }
        if (holding)
            (data_ += held_) += '\0';
        return {};
    }

    // "owner-list" also makes its own address the envelope sender for "list".
    Status owner_record(const ItemView& target) {
        std::string_view local =
            target.text.substr(0, target.has_at ? target.at : target.text.size());
        if (!local.starts_with("owner-"))
            return {};
        std::string domain(target.has_at ? target.text.substr(target.at + 1) : "");
        std::string list(local.substr(6));
        return sink_("?" + address::lowercase(list + "@" + domain),
                     "owner-" + list + "@" + (domain.empty() ? q_.me : domain));
    }

    const std::string& file_;
    const Qualify& q_;
    const RecordSink& sink_;
    AddressListParser parser_;
    std::string key_, data_, cmd_, held_;
};

template <class NextLine>
Status compile_instructions(NextLine&& lines, const std::string& file, const Qualify& q,
                            const RecordSink& sink) {
    AliasCompiler compiler(file, q, sink);
    return for_each_instruction(lines, [&](std::size_t line, std::string_view text) {
        return compiler.instruction(line, text);
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
    AddressListParser parser;
    std::size_t lineno = 0;
    while (!content.empty()) {
        auto nl = content.find('\n');
        std::string_view line = content.substr(0, nl);
        content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
        ++lineno;
        if (!line.empty() && line[0] == '#')
            continue;
        auto items = parser.parse(line);
        if (!items)
            return fail(unparsable(file, lineno, line, items.error().text));
        // newinclude writes plainly in reverse, without newaliases' held-back address.
        for (auto it = items->rbegin(); it != items->rend(); ++it) {
            if (auto r = append_command(out, *it, q, false, ""); !r)
                return fail(at_line(file, lineno, r.error().text));
            out += '\0';
        }
    }
    return out;
}

} // namespace qm::fwd

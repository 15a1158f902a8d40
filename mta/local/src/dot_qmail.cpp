#include "qm/local/dot_qmail.hpp"

namespace qm::local {

Result<std::vector<Instruction>> parse_dot_qmail(std::string_view content) {
    std::vector<Instruction> out;
    bool first = true;
    while (!content.empty()) {
        size_t nl = content.find('\n');
        std::string_view line = content.substr(0, nl);
        content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);

        if (size_t nul = line.find('\0'); nul != std::string_view::npos)
            line = line.substr(0, nul);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);

        Instruction in;
        if (line.empty()) {
            if (first)
                return fail(temp("4.2.1", "Uh-oh: first line of .qmail file is blank."));
            in.kind = Instruction::Kind::ignored;
        } else {
            switch (line.front()) {
            case '#':
                in.kind = Instruction::Kind::comment;
                in.target = line.substr(1);
                break;
            case '.':
            case '/':
                in.kind = line.back() == '/' ? Instruction::Kind::maildir : Instruction::Kind::mbox;
                in.target = line;
                break;
            case '|':
                in.kind = Instruction::Kind::program;
                in.target = line.substr(1);
                break;
            case '+':
                in.kind =
                    line == "+list" ? Instruction::Kind::forward_only : Instruction::Kind::ignored;
                in.target = line.substr(1);
                break;
            case '&':
                in.kind = Instruction::Kind::forward;
                in.target = line.substr(1);
                break;
            default:
                in.kind = Instruction::Kind::forward;
                in.target = line;
                break;
            }
        }
        first = false;
        out.push_back(std::move(in));
    }
    return out;
}

std::optional<std::string> describe(const Instruction& in) {
    switch (in.kind) {
    case Instruction::Kind::mbox:
        return "mbox " + in.target;
    case Instruction::Kind::maildir:
        return "maildir " + in.target;
    case Instruction::Kind::program:
        return "program " + in.target;
    case Instruction::Kind::forward:
        return "forward " + in.target;
    default:
        return std::nullopt;
    }
}

std::string safe_ext(std::string_view ext) {
    std::string s(ext);
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        else if (c == '.')
            c = ':';
    }
    return s;
}

std::vector<Candidate> search_order(std::string_view dash, std::string_view ext) {
    const std::string safe = safe_ext(ext);
    const std::string base = ".qmail" + std::string(dash);
    std::vector<Candidate> out;

    Candidate exact{base + safe, std::nullopt};
    // A file named for the whole extension still sets DEFAULT when that extension
    // itself ends in "default" (qmail does the same).
    constexpr std::string_view word = "default";
    if (safe.size() >= word.size() && safe.ends_with(word))
        exact.default_from = safe.size() - word.size();
    out.push_back(std::move(exact));

    for (size_t i = safe.size() + 1; i-- > 0;) {
        if (i == 0 || safe[i - 1] == '-')
            out.push_back(Candidate{base + safe.substr(0, i) + std::string(word), i});
    }
    return out;
}

} // namespace qm::local

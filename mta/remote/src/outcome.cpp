// qmail-remote's report (Outcome): folding it per recipient as qmail-rspawn does, and its
// NUL-separated wire form between the qmail-remote program and qmail-rspawn.
#include "qm/remote/client.hpp"

namespace qm::remote {

std::vector<Verdict> fold(const Outcome& o) {
    std::vector<Verdict> out;
    out.reserve(o.recipients.size());
    const bool accepted = o.message.kind == Verdict::Kind::success;
    for (const auto& r : o.recipients) {
        if (r.letter == 'h' || r.letter == 's')
            out.push_back({r.letter == 'h' ? Verdict::Kind::permanent : Verdict::Kind::temporary,
                           r.text + (accepted ? "" : o.message.text)});
        else
            out.push_back(o.message);
    }
    return out;
}

namespace {

void put_report(std::string& out, char letter, std::string_view text) {
    out += letter;
    for (char c : text)
        if (c != '\0') // a remote host's NUL would end the report early
            out += c;
    out += '\0';
}

} // namespace

std::string encode(const Outcome& o) {
    std::string out;
    for (const auto& r : o.recipients) {
        if (r.letter == 0)
            break; // qmail-remote reports recipients in order, up to the first unanswered
        put_report(out, r.letter, r.text);
    }
    put_report(out, o.message.letter(), o.message.text);
    return out;
}

Outcome decode(std::string_view output, size_t recipients) {
    Outcome o{std::vector<RecipientReport>(recipients),
              Verdict::temporary("qmail-remote produced a malformed report. (#4.3.0)\n")};
    size_t next = 0;
    while (!output.empty()) {
        const size_t nul = output.find('\0');
        if (nul == std::string_view::npos)
            break; // an unfinished report: the program died while writing it
        const std::string_view report = output.substr(0, nul);
        output.remove_prefix(nul + 1);
        if (report.empty())
            break;
        const char letter = report[0];
        if (letter == 'r' || letter == 'h' || letter == 's') {
            if (next < recipients)
                o.recipients[next++] = {letter, std::string(report.substr(1))};
            continue;
        }
        if (auto kind = Verdict::kind_of(letter))
            o.message = {*kind, std::string(report.substr(1))};
        return o;
    }
    // No message report: whatever the recipients got, nothing is known of the message.
    return {std::vector<RecipientReport>(recipients), o.message};
}

} // namespace qm::remote

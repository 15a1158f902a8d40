#include "qm/lists/bounce/weed.hpp"

#include "qm/address.hpp"
#include "qm/lists/bounce/bounce_report.hpp"

#include <algorithm>
#include <vector>

namespace qm::lists {

namespace {

using qm::address::lowercase;

struct HeaderLine {
    std::string name;  // lower case
    std::string value; // folded lines joined, leading blanks removed
};

// The header (up to the first blank line) as unfolded fields; the body follows.
std::vector<HeaderLine> header_of(std::string_view m, std::string_view& body) {
    std::vector<HeaderLine> out;
    size_t pos = 0;
    body = {};
    while (pos < m.size()) {
        size_t nl = m.find('\n', pos);
        size_t end = nl == std::string_view::npos ? m.size() : nl + 1;
        std::string_view line = m.substr(pos, end - pos);
        pos = end;
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.remove_suffix(1);
        if (line.empty()) {
            body = m.substr(pos);
            break;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            const auto text = line.find_first_not_of(" \t");
            if (!out.empty() && text != std::string_view::npos) {
                out.back().value += " ";
                out.back().value += line.substr(text);
            }
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        std::string_view value = line.substr(colon + 1);
        value.remove_prefix(std::min(value.size(), value.find_first_not_of(" \t")));
        out.push_back({lowercase(line.substr(0, colon)), std::string(value)});
    }
    return out;
}

// Sendmail's delay warning says so in a box at the top of its text.
bool sendmail_warning_box(std::string_view body) {
    std::string_view head = body.substr(0, 2048);
    return head.find("**      THIS IS A WARNING MESSAGE ONLY      **") != std::string_view::npos;
}

bool from_mail_system(const std::string* from) {
    if (from == nullptr)
        return false;
    const std::string f = lowercase(*from);
    return f.find("mailer-daemon") != std::string::npos ||
           f.find("postmaster") != std::string::npos ||
           f.find("mail delivery") != std::string::npos;
}

bool reports_failure(std::string_view subject) {
    for (std::string_view s :
         {"undeliver", "delivery failed", "delivery failure", "returned mail", "failure notice",
          "non-delivery", "delivery status notification (failure)"})
        if (subject.find(s) != std::string_view::npos)
            return subject.find("warning") == std::string_view::npos &&
                   subject.find("delay") == std::string_view::npos;
    return false;
}

} // namespace

WeedDecision weed(std::string_view message) {
    std::string_view body;
    const auto fields = header_of(message, body);
    auto value_of = [&](std::string_view name) -> const std::string* {
        for (const auto& f : fields)
            if (f.name == name)
                return &f.value;
        return nullptr;
    };
    const std::string* subject = value_of("subject");
    const std::string subj = subject ? lowercase(*subject) : std::string{};

    // A report of failed deliveries is what the bouncer is for: it passes whatever else
    // the header says. One that reports only delays or successes is dropped.
    const BounceReport report = parse_bounce(message);
    if (report.format == BounceFormat::qsbmf) {
        if (subj.starts_with("success notice") || subj.starts_with("deferral notice"))
            return {true, "qmail " + subj.substr(0, subj.find(' ')) + " notice"};
        return {};
    }
    if (report.format == BounceFormat::dsn && !report.recipients.empty()) {
        bool failed = std::any_of(
            report.recipients.begin(), report.recipients.end(),
            [](const RecipientFailure& r) { return r.verdict != BounceVerdict::not_a_failure; });
        if (failed)
            return {};
        return {true, "delivery status notice without a failure (action " +
                          report.recipients.front().action + ")"};
    }

    // A plain-text failure report from a mail system (older Exim, Exchange, Lotus) has
    // no machine-readable part but is still a bounce, Auto-Submitted or not.
    if (from_mail_system(value_of("from")) && reports_failure(subj))
        return {};

    for (std::string_view s :
         {"success notice", "deferral notice", "out of office autoreply:", "autoresponse -",
          "message status - delivered", "message status - opened"})
        if (subj.starts_with(s))
            return {true, "subject: " + std::string(s)};
    if (const auto* p = value_of("precedence")) {
        const std::string v = lowercase(*p);
        for (std::string_view s : {"bulk", "junk", "list"})
            if (v.starts_with(s))
                return {true, "precedence: " + std::string(s)};
    }
    if (const auto* a = value_of("auto-submitted"); a && !lowercase(*a).starts_with("no"))
        return {true, "auto-submitted: " + lowercase(*a)};
    for (std::string_view name :
         {"mailing-list", "list-id", "list-help", "list-unsubscribe", "list-subscribe", "list-post",
          "list-owner", "list-archive", "x-mailing-list", "x-ml-name", "x-amazon-auto-reply",
          "x-autoreply", "x-autorespond"})
        if (value_of(name))
            return {true, std::string(name) + " header"};
    if (const auto* t = value_of("thread-topic"); t && t->starts_with("AutoResponse"))
        return {true, "thread-topic: autoresponse"};
    if (const auto* x = value_of("x-mailer"); x && x->starts_with("KANA Response"))
        return {true, "x-mailer: kana response"};
    if ((subj.starts_with("warning: could not send message") ||
         subj.starts_with("returned mail: warning: cannot send message")) &&
        sendmail_warning_box(body))
        return {true, "sendmail delay warning"};
    return {};
}

} // namespace qm::lists

#include "qm/lists/bounce/bounce_report.hpp"

#include "mime_parts.hpp"
#include "qm/address.hpp"

#include <algorithm>

namespace qm::lists {

namespace {

using mime::decoded_body;
using mime::find_part;
using mime::is_type;
using qm::address::lowercase;

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos)
        return {};
    size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

// Bounces arrive with CRLF or LF line ends; everything below reads LF.
std::string unix_lines(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i)
        if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n'))
            out += s[i];
    return out;
}

// Newlines and tabs become spaces: a diagnostic goes on one log line.
std::string one_line(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (c == ' ' && !out.empty() && out.back() == ' ')
            continue;
        out += c;
    }
    return trim(out);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

struct CodeAt {
    size_t pos;
    std::string code;
};

// Every RFC 3463 code ("5.1.1", "4.2.2", "5.7.26") in text: a class digit, then two
// dot-separated numbers of at most three digits, not part of a longer dotted number (an
// IP address or a version).
std::vector<CodeAt> status_codes(std::string_view text) {
    std::vector<CodeAt> out;
    for (size_t i = 0; i + 5 <= text.size(); ++i) {
        char c = text[i];
        if (c != '2' && c != '4' && c != '5')
            continue;
        if (i > 0 && (is_digit(text[i - 1]) || text[i - 1] == '.'))
            continue;
        if (text[i + 1] != '.')
            continue;
        size_t j = i + 2, n = 0;
        while (j < text.size() && is_digit(text[j]) && n < 4)
            ++j, ++n;
        if (n == 0 || n > 3 || j >= text.size() || text[j] != '.')
            continue;
        size_t k = j + 1, m = 0;
        while (k < text.size() && is_digit(text[k]) && m < 4)
            ++k, ++m;
        if (m == 0 || m > 3)
            continue;
        if (k < text.size() &&
            (is_digit(text[k]) || (text[k] == '.' && k + 1 < text.size() && is_digit(text[k + 1]))))
            continue;
        out.push_back({i, std::string(text.substr(i, k - i))});
    }
    return out;
}

// The status code a text gives. A code right after an SMTP reply code ("550 5.1.1",
// "550-5.7.26") is the receiving server's own word and wins; else the first code, such
// as qmail's "(#5.1.1)". Without any, a bare SMTP reply ("said: 550 ...", "smtp; 452
// ...") gives its class with no detail.
std::string status_in(std::string_view text) {
    auto codes = status_codes(text);
    for (const auto& c : codes)
        if (c.pos >= 4 && is_digit(text[c.pos - 4]) && is_digit(text[c.pos - 3]) &&
            is_digit(text[c.pos - 2]) && (text[c.pos - 1] == ' ' || text[c.pos - 1] == '-'))
            return c.code;
    if (!codes.empty())
        return codes.front().code;
    const std::string lower = lowercase(text);
    for (std::string_view lead : {"said: ", "smtp; ", "smtp;"}) {
        size_t p = lower.find(lead);
        if (p == std::string::npos)
            continue;
        p += lead.size();
        if (p + 3 <= lower.size() && (lower[p] == '4' || lower[p] == '5') &&
            is_digit(lower[p + 1]) && is_digit(lower[p + 2]))
            return std::string(1, lower[p]) + ".0.0";
    }
    return {};
}

bool mentions_any(std::string_view lower, std::initializer_list<std::string_view> words) {
    return std::any_of(words.begin(), words.end(),
                       [&](std::string_view w) { return lower.find(w) != std::string_view::npos; });
}

// Words that tie a rejection to this post or its sender rather than to the reader's
// mailbox, whatever the status code claims.
bool names_sender_policy(std::string_view lower) {
    return mentions_any(lower, {"dmarc", "spam", "dkim", "spf", "blacklist", "blocklist",
                                "block list", "black list", "spamhaus", "reputation", "phish",
                                "virus", "malware", "unsolicited", "junk mail"});
}

// Weaker words, believed only when the code itself says nothing (5.0.0, 5.5.x).
bool names_policy(std::string_view lower) {
    return names_sender_policy(lower) ||
           mentions_any(lower, {"policy", "blocked", "content rejected", "message content",
                                "not accepted", "denied"});
}

struct Status {
    char klass = 0;
    int subject = -1, detail = -1;
};

Status parse_status(std::string_view s) {
    Status st;
    auto codes = status_codes(s);
    if (codes.empty() || codes.front().pos != 0)
        return st;
    const std::string& c = codes.front().code;
    st.klass = c[0];
    size_t dot = c.find('.', 2);
    st.subject = std::stoi(c.substr(2, dot - 2));
    st.detail = std::stoi(c.substr(dot + 1));
    return st;
}

BounceVerdict generic_permanent(std::string_view lower_diag) {
    return names_policy(lower_diag) ? BounceVerdict::policy : BounceVerdict::address;
}

// A header field's value with folded lines joined; empty when the field is absent.
std::string field(const mimetic::Header& h, std::string_view name) {
    const std::string n(name);
    return h.hasField(n) ? trim(h.field(n).value()) : std::string{};
}

std::string after_semicolon(std::string_view v) {
    auto semi = v.find(';');
    return trim(semi == std::string_view::npos ? v : v.substr(semi + 1));
}

std::string strip_angles(std::string s) {
    if (s.size() >= 2 && s.front() == '<' && s.back() == '>')
        s = s.substr(1, s.size() - 2);
    return s;
}

// RFC 3464 section 2: the per-message group, then one group of fields per recipient,
// groups separated by blank lines.
std::vector<RecipientFailure> delivery_status_groups(std::string_view text) {
    std::vector<RecipientFailure> out;
    const std::string body = unix_lines(text);
    size_t pos = 0;
    bool first = true;
    while (pos < body.size()) {
        size_t end = body.find("\n\n", pos);
        std::string group =
            body.substr(pos, end == std::string::npos ? std::string::npos : end - pos + 1);
        pos = end == std::string::npos ? body.size() : end + 2;
        while (pos < body.size() && body[pos] == '\n')
            ++pos;
        if (trim(group).empty())
            continue;
        if (first) { // Reporting-MTA, Arrival-Date, ...
            first = false;
            if (lowercase(group).find("final-recipient:") == std::string::npos)
                continue;
        }
        group += "\n";
        mimetic::MimeEntity fields(group.begin(), group.end());
        const auto& h = fields.header();
        RecipientFailure r;
        std::string recipient = field(h, "Final-Recipient");
        if (recipient.empty())
            recipient = field(h, "Original-Recipient");
        r.address = strip_angles(after_semicolon(recipient));
        r.action = lowercase(field(h, "Action"));
        r.action = r.action.substr(0, r.action.find_first_of(" \t;("));
        r.status = field(h, "Status");
        r.status = r.status.substr(0, r.status.find_first_of(" \t;("));
        r.diagnostic = one_line(after_semicolon(field(h, "Diagnostic-Code")));
        if (r.address.empty() && r.action.empty() && r.status.empty())
            continue;
        // "5.0.0" with "550 5.7.26 ..." (or, from an MTA that gave up retrying, "452
        // 4.2.2 ...") in the diagnostic: the receiving server's own code says more.
        const std::string told = status_in(r.diagnostic);
        if (r.status.ends_with(".0.0") && !told.empty() && !told.ends_with(".0.0"))
            r.status = told;
        if (parse_status(r.status).klass == 0)
            r.status = told;
        r.verdict = classify_failure(r.action, r.status, r.diagnostic);
        out.push_back(std::move(r));
    }
    return out;
}

struct Paragraphs {
    std::string header;
    std::vector<std::string> body;
};

// A message's header, then its body as QSBMF paragraphs: non-blank lines and the blank
// line that ends them.
Paragraphs paragraphs(const std::string& m) {
    Paragraphs out;
    size_t split = m.find("\n\n");
    out.header = split == std::string::npos ? m : m.substr(0, split + 2);
    size_t pos = split == std::string::npos ? m.size() : split + 2;
    while (pos < m.size()) {
        size_t end = m.find("\n\n", pos);
        std::string p = m.substr(pos, end == std::string::npos ? std::string::npos : end + 2 - pos);
        pos = end == std::string::npos ? m.size() : end + 2;
        out.body.push_back(std::move(p));
        while (pos < m.size() && m[pos] == '\n')
            ++pos;
    }
    return out;
}

bool parse_qsbmf(const std::string& m, BounceReport& report) {
    Paragraphs ps = paragraphs(m);
    size_t i = 0;
    while (i < ps.body.size() && ps.body[i].starts_with("--")) // a MIME boundary
        ++i;
    if (i == ps.body.size() || !ps.body[i].starts_with("Hi. This is the"))
        return false;
    const std::string& intro = ps.body[i];
    const std::string lower_header = lowercase("\n" + ps.header);
    const bool deferral = lower_header.find("\nsubject: deferral notice") != std::string::npos ||
                          (lowercase(intro).find("permanent") == std::string::npos &&
                           lowercase(intro).find("temporar") != std::string::npos);
    report.format = BounceFormat::qsbmf;
    report.qsbmf_head = ps.header + intro;
    for (++i; i < ps.body.size(); ++i) {
        const std::string& p = ps.body[i];
        if (p.starts_with("-"))
            break;
        if (!p.starts_with("<"))
            continue;
        size_t nl = p.find('\n');
        std::string first = p.substr(0, nl);
        size_t close = first.rfind(">:");
        if (close == std::string::npos)
            continue;
        RecipientFailure r;
        r.address = first.substr(1, close - 1);
        r.action = "failed";
        r.diagnostic = one_line(nl == std::string::npos ? "" : p.substr(nl + 1));
        r.status = status_in(r.diagnostic);
        r.verdict = deferral ? BounceVerdict::transient
                             : classify_failure(r.action, r.status, r.diagnostic);
        r.paragraph = p;
        report.recipients.push_back(std::move(r));
    }
    return true;
}

bool parse_dsn(const std::string& m, BounceReport& report) {
    mimetic::MimeEntity e(m.begin(), m.end());
    const auto* status = find_part(e, [](const mimetic::MimeEntity& p) {
        return is_type(p, "message", "delivery-status") ||
               is_type(p, "message", "global-delivery-status");
    });
    if (status == nullptr)
        return false;
    report.format = BounceFormat::dsn;
    report.recipients = delivery_status_groups(decoded_body(*status));
    return true;
}

// The human-readable text of a message in no known format: its first text/plain part
// (or its body), cut before any copy of the original message.
std::string readable_text(const std::string& m) {
    mimetic::MimeEntity e(m.begin(), m.end());
    const auto* text = mime::first_plain_text(e);
    std::string t = text ? decoded_body(*text) : std::string(e.body().begin(), e.body().end());
    const std::string lower = lowercase(t);
    size_t cut = t.size();
    for (std::string_view marker : {"original message", "return-path:", "received:"})
        cut = std::min(cut, lower.find(marker));
    return t.substr(0, std::min<size_t>(cut, 8192));
}

} // namespace

std::string_view verdict_name(BounceVerdict v) {
    switch (v) {
    case BounceVerdict::not_a_failure:
        return "not-a-failure";
    case BounceVerdict::address:
        return "address";
    case BounceVerdict::transient:
        return "transient";
    case BounceVerdict::policy:
        return "policy";
    case BounceVerdict::message:
        return "message";
    }
    return "address";
}

BounceVerdict classify_failure(std::string_view action, std::string_view status,
                               std::string_view diagnostic) {
    const std::string a = lowercase(trim(action));
    if (!a.empty() && a != "failed")
        return BounceVerdict::not_a_failure;
    const std::string diag = lowercase(diagnostic);
    Status st = parse_status(trim(status));
    if (st.klass == 0)
        st = parse_status(status_in(diagnostic));
    if (st.klass == '2')
        return BounceVerdict::not_a_failure;
    if (st.klass == '4')
        return BounceVerdict::transient;
    if (st.klass != '5')
        return generic_permanent(diag);
    if (st.subject == 7 || names_sender_policy(diag))
        return BounceVerdict::policy;
    switch (st.subject) {
    case 1: // addressing: no such user, bad domain
    case 2: // mailbox: disabled, full for good
        return BounceVerdict::address;
    case 3:
        return st.detail == 4 ? BounceVerdict::message : generic_permanent(diag);
    case 4: // routing: 4.4 no route to the domain, 4.1 (Exchange) no such recipient
        if (st.detail == 4 || st.detail == 1)
            return BounceVerdict::address;
        if (st.detail == 7) // the sender's MTA gave up on temporary failures
            return BounceVerdict::transient;
        return BounceVerdict::message;
    case 6:
        return BounceVerdict::message;
    default: // 5.0.x, 5.5.x: the code says nothing, the text may
        return generic_permanent(diag);
    }
}

BounceReport parse_bounce(std::string_view message) {
    BounceReport report;
    const std::string m = unix_lines(message);
    try {
        if (parse_qsbmf(m, report))
            return report;
        if (parse_dsn(m, report))
            return report;
    } catch (const std::exception&) {
        // mimetic gave up on a malformed message: a bounce in no known format.
    }
    report = {};
    return report;
}

RecipientFailure failure_for(const BounceReport& report, std::string_view address,
                             std::string_view message) {
    const std::string want = lowercase(address);
    for (const auto& r : report.recipients)
        if (lowercase(r.address) == want)
            return r;
    for (const auto& r : report.recipients)
        if (r.verdict != BounceVerdict::not_a_failure)
            return r;
    if (!report.recipients.empty())
        return report.recipients.front();
    RecipientFailure r;
    r.address = std::string(address);
    r.action = "failed";
    if (report.format == BounceFormat::unknown) {
        std::string text;
        try {
            text = readable_text(unix_lines(message));
        } catch (const std::exception&) {
            text = std::string(message.substr(0, 8192));
        }
        r.status = status_in(text);
        const auto codes = status_codes(text);
        if (!codes.empty()) {
            size_t start = text.rfind('\n', codes.front().pos);
            start = start == std::string::npos ? 0 : start + 1;
            r.diagnostic = one_line(text.substr(start, text.find('\n', codes.front().pos) - start));
        }
        // Only a code or explicit words turn an unknown bounce into something else.
        r.verdict =
            r.status.empty() && !names_sender_policy(lowercase(text))
                ? BounceVerdict::address
                : classify_failure("failed", r.status, r.status.empty() ? text : r.diagnostic);
    }
    return r;
}

} // namespace qm::lists

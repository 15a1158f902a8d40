#include "qm/lists/core/reply.hpp"

#include "qm/date.hpp"
#include "qm/envelope.hpp"
#include "qm/lists/core/texts.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>

namespace qm::lists {

namespace {

void replace_tags(std::string& text, const ListInfo& list, const TextTags& tags) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        if (text.compare(i, 2, "<#") == 0 && i + 5 <= text.size() &&
            text.compare(i + 3, 2, "#>") == 0) {
            const char letter = text[i + 2];
            const std::string* value = nullptr;
            if (letter == 'l')
                value = &list.outlocal;
            else if (letter == 'h')
                value = &list.outhost;
            for (const auto& [tag, v] : tags)
                if (tag == letter)
                    value = &v;
            if (value != nullptr) {
                out += *value;
                i += 5;
                continue;
            }
        }
        out += text[i++];
    }
    text = std::move(out);
}

// One line: a header value must not let a caller's text start a new field.
std::string one_line(std::string_view s) {
    std::string out(s);
    std::replace(out.begin(), out.end(), '\n', ' ');
    std::replace(out.begin(), out.end(), '\r', ' ');
    return out;
}

} // namespace

bool has_eight_bit(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0x80) != 0; });
}

std::string expand_header_tags(std::string_view text, const ListInfo& list, unsigned long n) {
    std::string out(text);
    replace_tags(out, list, {{'n', std::to_string(n)}});
    return out;
}

Result<std::string> render_text(const ListInfo& list, std::string_view name, const TextTags& tags) {
    const std::string file = "text/" + std::string(name);
    std::string text;
    auto lines = read_file(list.dir, file);
    if (!lines)
        return fail(lines.error());
    if (*lines) {
        text = std::move(**lines);
    } else {
        const auto& defaults = default_texts();
        auto it = std::find_if(defaults.begin(), defaults.end(),
                               [&](const auto& t) { return t.first == name; });
        if (it == defaults.end())
            return fail(temp("4.3.0", "unable to read " + list.dir + "/" + file));
        text = std::string(it->second);
    }
    replace_tags(text, list, tags);
    return text;
}

Result<std::string> compose_body(const ListInfo& list,
                                 std::initializer_list<std::string_view> names,
                                 const TextTags& tags) {
    std::string body;
    auto top = render_text(list, "top", tags);
    if (!top)
        return fail(top.error());
    body += *top;
    for (auto name : names) {
        auto t = render_text(list, name, tags);
        if (!t)
            return fail(t.error());
        body += *t;
    }
    if (!list.omit_bottom.value_or(has_flag(list.dir, "omitbottom"))) {
        auto bottom = render_text(list, "bottom", tags);
        if (!bottom)
            return fail(bottom.error());
        body += *bottom;
    }
    return body;
}

std::string format_reply(const ListInfo& list, const Reply& reply, std::time_t now) {
    static std::atomic<unsigned> sequence{0};
    std::string m;
    auto ml = read_setting(list.dir, "mailinglist");
    m += "Mailing-List: " +
         (ml && *ml ? **ml : "contact " + list.command("help") + "; run by ezmlm") + "\n";
    m += "Date: " + date822(now) + "\n";
    m += "Message-ID: <" + compact_timestamp(now) + "." + std::to_string(::getpid()) + "." +
         std::to_string(sequence++) + ".ezmlm@" + list.outhost + ">\n";
    m += "From: " + list.command(reply.from_command) + "\n";
    m += "To: " + one_line(reply.to_header.empty() ? reply.to : reply.to_header) + "\n";
    m += "Subject: " + one_line(reply.subject) + "\n";
    for (const auto& h : reply.headers)
        m += one_line(h) + "\n";
    // RFC 3834: automatic replies must not trigger further automatic replies.
    m += "Auto-Submitted: " + one_line(reply.auto_submitted) + "\n";
    m += "MIME-Version: 1.0\n";
    const std::string text_type =
        has_eight_bit(reply.body)
            ? "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"
            : "Content-Type: text/plain; charset=us-ascii\n";
    std::string boundary;
    if (!reply.enclosed.empty()) {
        // A boundary that occurs in neither part (RFC 2046 5.1.1).
        boundary = "=_ezmlm_" + compact_timestamp(now) + "_" + std::to_string(::getpid());
        while (reply.body.find(boundary) != std::string::npos ||
               reply.enclosed.find(boundary) != std::string::npos)
            boundary += "_" + std::to_string(sequence++);
        m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n";
        m += "--" + boundary + "\n" + text_type;
    } else if (!reply.content_type.empty()) {
        m += "Content-Type: " + one_line(reply.content_type) + "\n";
        if (has_eight_bit(reply.body))
            m += "Content-Transfer-Encoding: 8bit\n";
    } else {
        m += text_type;
    }
    m += "\n";
    m += reply.body;
    if (!reply.body.empty() && reply.body.back() != '\n')
        m += "\n";
    if (!reply.enclosed.empty()) {
        m += "\n--" + boundary + "\nContent-Type: message/rfc822\n";
        if (has_eight_bit(reply.enclosed))
            m += "Content-Transfer-Encoding: 8bit\n";
        m += "\n";
        m += reply.enclosed;
        if (reply.enclosed.back() != '\n')
            m += "\n";
        m += "\n--" + boundary + "--\n";
    }
    return m;
}

Result<Queued> send_reply(const ListInfo& list, const Reply& reply, std::time_t now) {
    Envelope env;
    env.sender = reply.envelope_sender.empty() ? list.command("return-") : reply.envelope_sender;
    env.recipients.push_back(reply.to);
    for (const auto& r : reply.also_to)
        env.recipients.push_back(r);
    return queue_message(format_reply(list, reply, now), env);
}

} // namespace qm::lists

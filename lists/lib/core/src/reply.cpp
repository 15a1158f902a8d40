#include "qm/lists/core/reply.hpp"

#include "qm/date.hpp"
#include "qm/envelope.hpp"
#include "qm/home.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/lists/core/text_render.hpp"
#include "qm/lists/core/texts.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>

namespace qm::lists {

namespace {

// ezmlm-idx 7's digit flags (lib/config.c: set when -0, -3 .. -9 wrote their file; a
// digit without a file is always set, as there); letters are flag_letter's.
constexpr std::string_view digit_files[10] = {
    "sublist", "", "", "fromheader", "", "owner", "subdb", "modpost", "modsub", "remote"};

// Where ezmlm-idx 7's central texts are: the first line of control/ezmlm-etc in the mail
// root, else the directory ezmlm-idx installs them in by default.
std::string ezmlm_etc() {
    auto configured = read_setting(home_path("control"), "ezmlm-etc");
    if (configured && *configured && !(*configured)->empty())
        return **configured;
    return "/etc/ezmlm";
}

// dir/rel, then (as ezmlm-idx 7's alt_open_read) rel under the directory the list's
// ezmlmrc file names, then under the central default language; nullopt if none has it.
Result<std::optional<std::string>> find_list_file(const ListInfo& list, const std::string& rel) {
    auto own = read_file(list.dir, rel);
    if (!own || *own)
        return own;
    auto alt = read_setting(list.dir, "ezmlmrc");
    if (!alt)
        return fail(alt.error());
    if (*alt && (*alt)->starts_with("/")) {
        auto in_alt = read_file(**alt, rel);
        if (!in_alt || *in_alt)
            return in_alt;
    }
    return read_file(ezmlm_etc() + "/default", rel);
}

TextValues values_for(const ListInfo& list, const TextTags& tags) {
    TextValues v;
    v.tags['L'] = list.outlocal;
    v.tags['l'] = list.outlocal;
    v.tags['h'] = list.outhost;
    v.tags['d'] = list.dir;
    for (const auto& [letter, value] : tags)
        v.tags[letter] = value;
    v.derive(v.tags['l']);
    return v;
}

// Our wording of ezmlm-idx 7's subjects (its messages file's SUB_ keys), used when no
// messages file of the list or of the central texts has the key. Where our programs had a
// subject before they read text/messages, the wording is that subject, so a list without
// a messages file sends what it always sent (moderation, bounce warnings, archive replies).
constexpr std::pair<std::string_view, std::string_view> builtin_messages[] = {
    {"SUB_CONFIRM_POST", "CONFIRM post to <#L#>@<#H#>"},
    {"SUB_DIGEST_ISSUE", "<#L#> Digest <#1#> Issue <#2#>"},
    {"SUB_DIGEST_OF", "<#L#> archive: <#1#>"},
    {"SUB_EDIT_LIST", "editable texts of <#L#>@<#H#>"},
    {"SUB_EDIT_REQUEST", "edit text/<#1#> of <#L#>@<#H#>"},
    {"SUB_EDIT_SUCCESS", "text/<#1#> of <#L#>@<#H#> replaced"},
    {"SUB_FAQ", "FAQ for <#L#>@<#H#>"},
    {"SUB_GET_MSG", "from the archive of <#L#>@<#H#>"},
    {"SUB_GOODBYE", "goodbye from <#L#>@<#H#>"},
    {"SUB_HELP", "help for <#L#>@<#H#>"},
    {"SUB_INFO", "information about <#L#>@<#H#>"},
    {"SUB_LIST", "subscribers of <#L#>@<#H#>"},
    {"SUB_LOG", "subscription log of <#L#>@<#H#>"},
    {"SUB_LOG_SEARCH", "subscription log of <#L#>@<#H#> (search)"},
    {"SUB_MODERATE", "MODERATE for <#L#>@<#H#>"},
    {"SUB_MOD_HELP", "help for moderators of <#L#>@<#H#>"},
    {"SUB_MOD_SUBSCRIBE", "moderate subscription of <#1#> to <#L#>@<#H#>"},
    {"SUB_MOD_UNSUBSCRIBE", "moderate unsubscription of <#1#> from <#L#>@<#H#>"},
    {"SUB_PROBE", "ezmlm probe"},
    {"SUB_RESULT_OF", "<#L#> index: <#1#>"},
    {"SUB_RETURNED_POST", "Returned post for <#L#>@<#H#>"},
    {"SUB_STATUS", "subscription status at <#L#>@<#H#>"},
    {"SUB_SUBSCRIBE_NOP", "already subscribed to <#L#>@<#H#>"},
    {"SUB_UNSUBSCRIBE_NOP", "not subscribed to <#L#>@<#H#>"},
    {"SUB_USR_SUBSCRIBE", "confirm subscribe to <#L#>@<#H#>"},
    {"SUB_USR_UNSUBSCRIBE", "confirm unsubscribe from <#L#>@<#H#>"},
    {"SUB_WARNING", "ezmlm warning"},
    {"SUB_WELCOME", "welcome to <#L#>@<#H#>"},
    {"TXT_MAILING_LIST", "contact <#L#>-help@<#H#>; run by ezmlm"},
};

// headeradd and the trailer as ezmlm-send fills them in: <#l#>, <#h#>, <#n#>, other tags
// kept (ezmlm-idx 7's reading of those files belongs with the settings).
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

std::string expand_header_tags(std::string_view text, const ListInfo& list, unsigned long n,
                               std::string_view main_local) {
    std::string out(text);
    replace_tags(out, list,
                 {{'n', std::to_string(n)},
                  {'L', main_local.empty() ? list.outlocal : std::string(main_local)},
                  {'H', list.outhost}});
    return out;
}

FlagTest list_flag_test(const std::string& dir) {
    return [dir](char c) {
        const unsigned char u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z'))
            return flag_letter(dir, c); // dir/flags, config's F:, else the flag file
        if (u < '0' || u > '9')
            return false;
        const std::string_view file = digit_files[u - '0'];
        return file.empty() || has_flag(dir, std::string(file));
    };
}

Result<std::string> render_text(const ListInfo& list, std::string_view name, const TextTags& tags) {
    const std::string rel = "text/" + std::string(name);
    auto found = find_list_file(list, rel);
    if (!found)
        return fail(found.error());
    std::string source;
    if (*found) {
        source = std::move(**found);
    } else {
        const auto& defaults = default_texts();
        auto it = std::find_if(defaults.begin(), defaults.end(),
                               [&](const auto& t) { return t.first == name; });
        if (it == defaults.end())
            return fail(temp("4.3.0", "unable to read " + list.dir + "/" + rel));
        source = std::string(it->second);
    }
    return render_ezmlm_text(source, values_for(list, tags), list_flag_test(list.dir));
}

Result<bool> has_text(const ListInfo& list, std::string_view name) {
    auto found = find_list_file(list, "text/" + std::string(name));
    if (!found)
        return fail(found.error());
    return found->has_value();
}

Result<std::string> list_message(const ListInfo& list, std::string_view key,
                                 const std::vector<std::string>& params) {
    auto file = find_list_file(list, "text/messages");
    if (!file)
        return fail(file.error());
    std::optional<std::string> value;
    if (*file)
        value = messages_entry(**file, key);
    if (!value)
        for (const auto& [k, v] : builtin_messages)
            if (k == key)
                value = std::string(v);
    if (!value)
        value = std::string(key);
    TextValues v = values_for(list, {});
    v.tags['0'] = std::string(key);
    for (size_t i = 0; i < params.size() && i < 9; ++i)
        v.tags[static_cast<char>('1' + i)] = params[i];
    return one_line(expand_text_tags(*value, v, true));
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
    // ezmlm-idx 7's form, <TIME.PID.ezmlm@outhost>; a process sending more than one
    // message (ezmlm-warn) numbers the others, <TIME.PID.N.ezmlm@outhost>, to keep them
    // unique where ezmlm-idx would repeat itself.
    const unsigned n = sequence++;
    m += "Message-ID: <" + std::to_string(static_cast<long long>(now)) + "." +
         std::to_string(::getpid()) + (n == 0 ? "" : "." + std::to_string(n)) + ".ezmlm@" +
         list.outhost + ">\n";
    m += "From: " + list.command(reply.from_command) + "\n";
    m += "To: " + one_line(reply.to_header.empty() ? reply.to : reply.to_header) + "\n";
    m += "Subject: " + one_line(reply.subject) + "\n";
    for (const auto& h : reply.headers)
        m += one_line(h) + "\n";
    // RFC 3834: automatic replies must not trigger further automatic replies.
    m += "Auto-Submitted: " + one_line(reply.auto_submitted) + "\n";
    m += "MIME-Version: 1.0\n";
    // dir/charset, as ezmlm-idx 7 names the character set of a list's texts: a
    // language's texts in ISO-8859-x are labelled as what they are, not as UTF-8, and
    // sent in the transfer encoding it asks for (":Q", ":B"). An unreadable file is taken
    // as none: the reply still goes, labelled by its bytes.
    ListCharset charset;
    if (auto cs = read_list_charset(list.dir))
        charset = std::move(*cs);
    if (charset.name.empty())
        charset.name = has_eight_bit(reply.body) ? "utf-8" : "us-ascii";
    std::string text = reply.body;
    if (!text.empty() && text.back() != '\n')
        text += "\n";
    std::string text_type = "Content-Type: text/plain; charset=" + charset.name + "\n";
    if (charset.encoding == 'Q') {
        text = encode_quoted_printable(text);
        text_type += "Content-Transfer-Encoding: quoted-printable\n";
    } else if (charset.encoding == 'B') {
        text = encode_base64(crlf_line_ends(text));
        text_type += "Content-Transfer-Encoding: base64\n";
    } else if (has_eight_bit(text)) {
        text_type += "Content-Transfer-Encoding: 8bit\n";
    }
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
    if (reply.enclosed.empty() && !reply.content_type.empty()) {
        m += reply.body; // a digest or collection, made whole by its maker
        if (!reply.body.empty() && reply.body.back() != '\n')
            m += "\n";
    } else {
        m += text;
    }
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

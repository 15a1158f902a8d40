#include "qm/lists/manage/request.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace qm::lists {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && equal_ignoring_case(s.substr(0, prefix.size()), prefix);
}

bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// ezmlm-idx 7's rule for every word it puts in an address: stricter than RFC 5321, so
// that nothing it builds needs quoting.
Status check_word(const std::optional<std::string>& word) {
    if (!word)
        return {};
    for (char c : *word)
        if (!is_letter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '_' &&
            c != '+')
            return fail(perm("5.7.1", "Illegal character in request: \"" + *word + "\""));
    return {};
}

// The commands ezmlm-idx 7 knows by other names, and ("") those it answers with help
// whatever their arguments.
constexpr std::array<std::pair<std::string_view, std::string_view>, 22> aliases{{
    {"system", ""},
    {"help", "help"},
    {"subscribe", "subscribe"},
    {"unsubscribe", "unsubscribe"},
    {"index", "index"},
    {"info", "info"},
    {"list", "list"},
    {"query", "query"},
    {"sub", "subscribe"},
    {"unsub", "unsubscribe"},
    {"remove", "unsubscribe"},
    {"signoff", "unsubscribe"},
    // The global interface's own commands (-f): at list-request, help.
    {"lists", "help"},
    {"which", "help"},
    {"ind", "index"},
    {"rev", "list"},
    {"review", "list"},
    {"recipients", "list"},
    {"who", "list"},
    {"showdist", "list"},
    {"put", ""},
    {"set", ""},
}};

std::string trim_leading_blanks(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
        ++i;
    return std::string(s.substr(i));
}

// A header field's value as one line (continuations joined with spaces, line ends gone).
std::string one_line(std::string_view value) {
    std::string out;
    for (char c : value)
        if (c != '\r' && c != '\n')
            out += c;
    return trim_leading_blanks(out);
}

} // namespace

Result<RequestCommand> parse_request_line(std::string_view raw, std::string_view outlocal) {
    std::string line(raw);
    std::replace(line.begin(), line.end(), '\t', ' ');
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
        line.pop_back();
    RequestCommand r;
    if (line.size() > outlocal.size() && line[outlocal.size()] == '-' &&
        starts_with_ignoring_case(line, outlocal)) {
        // A whole command address: outlocal-command[-user=host][@host].
        std::string rest = line.substr(outlocal.size() + 1);
        r.list_local = std::string(outlocal);
        auto dash = rest.find('-');
        r.command = rest.substr(0, dash);
        if (dash != std::string::npos) {
            std::string user = rest.substr(dash + 1);
            user = user.substr(0, user.rfind('@') == std::string::npos ? user.size()
                                                                       : user.rfind('@'));
            auto eq = user.rfind('=');
            if (eq != std::string::npos) {
                r.user_host = user.substr(eq + 1);
                user.resize(eq);
            }
            r.user_local = user;
        }
    } else {
        // "command [list] [user@host]", words separated by spaces.
        if (line.find('@') < line.find(' '))
            return fail(perm("5.7.1", "Command address local part does not match the list"));
        std::vector<std::string> words;
        for (size_t i = 0; i < line.size();) {
            while (i < line.size() && line[i] == ' ')
                ++i;
            if (i == line.size())
                break;
            auto end = std::min(line.find(' ', i), line.size());
            words.push_back(line.substr(i, end - i));
            i = end;
        }
        if (words.empty())
            return r;
        r.command = words[0];
        std::optional<std::string> list_word, user_word;
        if (words.size() == 2)
            user_word = words[1]; // one argument: the user (the list is ours)
        else if (words.size() >= 3) {
            list_word = words[1];
            user_word = words[2];
        }
        if (user_word) {
            auto at = user_word->find('@');
            r.user_local = user_word->substr(0, at);
            if (at != std::string::npos)
                r.user_host = user_word->substr(at + 1);
        }
        if (list_word)
            r.list_local = list_word->substr(0, list_word->find('@'));
    }
    for (const auto* word : {&r.user_local, &r.user_host, &r.list_local})
        if (auto s = check_word(*word); !s)
            return fail(s.error());
    if (auto s = check_word(r.command); !s)
        return fail(s.error());
    return r;
}

Result<RequestCommand> request_from_message(const ParsedPost& message, std::string_view outlocal,
                                            std::string_view delivered_to) {
    std::string subject;
    bool multipart = false;
    bool have_subject = false;
    for (const auto& f : message.fields) {
        if (f.name == "mailing-list")
            return fail(perm("5.7.2", "This message looks like it came from a mailing list"));
        if (f.name == "subject" && !have_subject) {
            have_subject = true;
            subject = one_line(f.value());
        } else if (f.name == "content-type" && starts_with_ignoring_case(f.value(), "multipart/"))
            multipart = true;
        std::string_view text = f.text;
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
            text.remove_suffix(1);
        if (text == delivered_to)
            return fail(
                perm("5.4.6", "This message is looping: it already has my Delivered-To line"));
    }
    if (!subject.empty() && (is_letter(subject[0]) || subject[0] == '_'))
        return parse_request_line(subject, outlocal);
    // The first body line that starts with a letter; in a multipart message, the first
    // one of the first part (ezmlm-idx 7 takes the first "--" line for its boundary).
    enum {
        plain,
        before_boundary,
        part_header,
        in_part
    } state = multipart ? before_boundary : plain;
    std::string_view body = message.body;
    while (!body.empty()) {
        auto nl = body.find('\n');
        if (nl == std::string_view::npos)
            break; // ezmlm-idx 7 reads whole lines only
        std::string_view line = body.substr(0, nl);
        body.remove_prefix(nl + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        const bool boundary = line.starts_with("--");
        if (state == before_boundary) {
            if (boundary)
                state = part_header;
            continue;
        }
        if (state == part_header) {
            if (line.empty())
                state = in_part;
            continue;
        }
        if (state == in_part && boundary) {
            state = part_header; // a part within the part
            continue;
        }
        if (line.empty() || !is_letter(line[0]))
            continue;
        return parse_request_line(line, outlocal);
    }
    return RequestCommand{};
}

std::string request_target(const RequestCommand& request, std::string_view sender,
                           std::string_view outlocal, std::string_view outhost) {
    std::string command = request.command;
    RequestCommand r = request;
    for (const auto& [alias, meaning] : aliases)
        if (equal_ignoring_case(command, alias)) {
            command = meaning.empty() ? "help" : std::string(meaning);
            if (meaning.empty()) { // not for list-request: help, arguments dropped
                r.list_local.reset();
                r.user_local.reset();
                r.user_host.reset();
            }
            break;
        }
    std::string user_local, user_host;
    if (r.user_local) {
        user_local = *r.user_local;
        user_host = r.user_host.value_or("");
    } else {
        auto at = sender.rfind('@');
        user_local = std::string(sender.substr(0, at));
        if (at != std::string_view::npos)
            user_host = std::string(sender.substr(at + 1));
    }
    std::string to =
        r.list_local.value_or(std::string(outlocal)) + "-" + command + "-" + user_local;
    if (!user_host.empty())
        to += "=" + user_host;
    return to + "@" + std::string(outhost);
}

} // namespace qm::lists

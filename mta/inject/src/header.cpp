#include "qm/inject/header.hpp"

#include <array>

namespace qm::inject {

namespace {

// Index = FieldKind; lowercase.
constexpr std::array<std::string_view, static_cast<size_t>(FieldKind::count_)> known_names = {
    "",
    "sender",
    "from",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "date",
    "message-id",
    "subject",
    "resent-sender",
    "resent-from",
    "resent-reply-to",
    "resent-to",
    "resent-cc",
    "resent-bcc",
    "resent-date",
    "resent-message-id",
    "return-receipt-to",
    "errors-to",
    "apparently-to",
    "received",
    "return-path",
    "delivered-to",
    "content-length",
    "content-type",
    "content-transfer-encoding",
    "notice-requested-upon-delivery-to",
    "mail-followup-to",
};

bool matches(std::string_view field, std::string_view name) {
    if (field.size() <= name.size())
        return false;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = field[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != name[i])
            return false;
    }
    for (size_t i = name.size(); i < field.size(); ++i) {
        if (field[i] == ':')
            return true;
        if (field[i] != ' ' && field[i] != '\t')
            return false;
    }
    return false;
}

// Next line including its "\n"; a last line without one gets it added.
std::string next_line(std::string_view& rest) {
    auto nl = rest.find('\n');
    std::string line(rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1));
    rest.remove_prefix(line.size());
    if (line.back() != '\n')
        line += '\n';
    return line;
}

} // namespace

FieldKind field_kind(std::string_view field) {
    for (size_t k = 1; k < known_names.size(); ++k)
        if (matches(field, known_names[k]))
            return static_cast<FieldKind>(k);
    return FieldKind::unknown;
}

bool valid_field_start(std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
        return false;
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        name.remove_suffix(1);
    if (name.empty())
        return false;
    for (char ch : name) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 32 || c >= 127)
            return false;
    }
    return true;
}

std::string_view field_name(std::string_view field) {
    std::string_view name = field.substr(0, field.find(':'));
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        name.remove_suffix(1);
    return name;
}

std::string_view field_value(std::string_view field) {
    auto colon = field.find(':');
    if (colon == std::string_view::npos)
        return {};
    std::string_view v = field.substr(colon + 1);
    while (!v.empty() &&
           (v.front() == ' ' || v.front() == '\t' || v.front() == '\r' || v.front() == '\n'))
        v.remove_prefix(1);
    return v;
}

std::string unfold(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
            continue; // the LF decides
        if (text[i] == '\n') {
            if (i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '\t'))
                continue;
            if (i + 1 == text.size())
                break;
        }
        out += text[i];
    }
    return out;
}

SplitMessage split_message(std::string_view message) {
    SplitMessage m;
    std::string_view rest = message;
    std::string field;
    bool have_field = false;
    while (!rest.empty()) {
        std::string line = next_line(rest);
        if (have_field && (line[0] == ' ' || line[0] == '\t')) {
            field += line;
            continue;
        }
        if (have_field) {
            m.fields.push_back(std::move(field));
            field.clear();
            have_field = false;
        }
        if (line == "\n") {
            m.body = std::move(line);
            break;
        }
        if (line.starts_with("From ")) {
            field = "MBOX-Line: " + line;
        } else if (valid_field_start(line)) {
            field = std::move(line);
        } else {
            // Not a header line: the body starts here, after an inserted empty line.
            m.body = "\n" + line;
            break;
        }
        have_field = true;
    }
    if (have_field)
        m.fields.push_back(std::move(field));
    if (!m.body.empty() && !rest.empty()) {
        m.body += rest;
        if (rest.back() != '\n')
            m.body += '\n';
    }
    return m;
}

} // namespace qm::inject

#include "qm/mailauth/authentication_results.hpp"

#include "qm/address.hpp"

namespace qm::mailauth {

namespace {

bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Printable ASCII only: a header field must not carry what a sender smuggled in.
std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s)
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

std::string comment(std::string_view text) {
    std::string out = "(";
    for (const char c : printable(text)) {
        if (c == '(' || c == ')' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + ")";
}

// RFC 2045 token characters, plus '@' for the addr-spec form RFC 8601 2.2 allows in pvalue.
bool plain_value(std::string_view v) {
    if (v.empty())
        return false;
    for (const char c : v) {
        if (c <= 0x20 || c >= 0x7f)
            return false;
        if (std::string_view("()<>,;:\\\"/[]?=").find(c) != std::string_view::npos)
            return false;
    }
    return v.front() != '@' || v.size() > 1;
}

std::string value(std::string_view v) {
    if (plain_value(v))
        return std::string(v);
    std::string out = "\"";
    for (const char c : printable(v)) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

// Skips whitespace and (nested) comments from pos.
size_t skip_cfws(std::string_view s, size_t pos) {
    while (pos < s.size()) {
        if (blank(s[pos])) {
            ++pos;
            continue;
        }
        if (s[pos] != '(')
            break;
        int depth = 0;
        while (pos < s.size()) {
            const char c = s[pos++];
            if (c == '\\' && pos < s.size())
                ++pos;
            else if (c == '(')
                ++depth;
            else if (c == ')' && --depth == 0)
                break;
        }
    }
    return pos;
}

constexpr std::string_view field_name = "authentication-results";

} // namespace

std::string authentication_results_field(std::string_view authserv_id,
                                         const std::vector<MethodResult>& results) {
    std::string out = "Authentication-Results: " + value(authserv_id) + ";";
    if (results.empty())
        return out + " none\n";
    for (size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        out += "\n\t" + printable(r.method) + "=" + printable(r.result);
        if (!r.comment.empty())
            out += " " + comment(r.comment);
        for (const auto& [name, v] : r.properties)
            out += " " + printable(name) + "=" + value(v);
        if (i + 1 < results.size())
            out += ";";
    }
    return out + "\n";
}

std::string authserv_id_of(std::string_view v) {
    size_t pos = skip_cfws(v, 0);
    if (pos >= v.size())
        return {};
    std::string id;
    if (v[pos] == '"') {
        for (++pos; pos < v.size() && v[pos] != '"'; ++pos) {
            if (v[pos] == '\\' && pos + 1 < v.size())
                ++pos;
            if (v[pos] != '\r' && v[pos] != '\n')
                id += v[pos];
        }
        return id;
    }
    while (pos < v.size() && !blank(v[pos]) && v[pos] != ';' && v[pos] != '(')
        id += v[pos++];
    return id;
}

std::string method_result(std::string_view v, std::string_view method) {
    const std::string wanted = address::lowercase(method);
    // Each result follows a ';' outside comments and quoted strings (RFC 8601 2.2: the
    // authserv-id and its version come first).
    for (size_t pos = 0; pos < v.size();) {
        const char c = v[pos];
        if (c == '(') {
            pos = skip_cfws(v, pos);
            continue;
        }
        if (c == '"') {
            for (++pos; pos < v.size() && v[pos] != '"'; ++pos)
                if (v[pos] == '\\')
                    ++pos;
            ++pos;
            continue;
        }
        ++pos;
        if (c != ';')
            continue;
        size_t p = skip_cfws(v, pos);
        const size_t name = p;
        while (p < v.size() && !blank(v[p]) && v[p] != '=' && v[p] != '/' && v[p] != '(' &&
               v[p] != ';')
            ++p;
        if (address::lowercase(v.substr(name, p - name)) != wanted)
            continue;
        if (p < v.size() && v[p] == '/') // a method version: "dkim/1"
            while (p < v.size() && !blank(v[p]) && v[p] != '=' && v[p] != '(' && v[p] != ';')
                ++p;
        p = skip_cfws(v, p);
        if (p >= v.size() || v[p] != '=')
            continue;
        p = skip_cfws(v, p + 1);
        const size_t result = p;
        while (p < v.size() && !blank(v[p]) && v[p] != ';' && v[p] != '(')
            ++p;
        return address::lowercase(v.substr(result, p - result));
    }
    return {};
}

std::vector<ByteRange> forged_results(std::string_view message, std::string_view authserv_id) {
    std::vector<ByteRange> out;
    const std::string ours = address::lowercase(authserv_id);
    size_t pos = 0;
    while (pos < message.size()) {
        // One field: its first line and every continuation line.
        size_t end = message.find('\n', pos);
        end = end == std::string_view::npos ? message.size() : end + 1;
        const std::string_view first = message.substr(pos, end - pos);
        if (first == "\n" || first == "\r\n")
            break; // the end of the header
        while (end < message.size() && (message[end] == ' ' || message[end] == '\t')) {
            const size_t nl = message.find('\n', end);
            end = nl == std::string_view::npos ? message.size() : nl + 1;
        }
        const std::string_view field = message.substr(pos, end - pos);
        const size_t colon = field.find(':');
        if (colon != std::string_view::npos) {
            std::string_view name = field.substr(0, colon);
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
                name.remove_suffix(1);
            if (name.size() == field_name.size() && address::lowercase(name) == field_name &&
                address::lowercase(authserv_id_of(field.substr(colon + 1))) == ours)
                out.emplace_back(pos, end);
        }
        pos = end;
    }
    return out;
}

} // namespace qm::mailauth

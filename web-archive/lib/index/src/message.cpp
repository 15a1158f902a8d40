#include "qm/web/index/message.hpp"

#include "qm/address.hpp"
#include "qm/ascii.hpp"
#include "qm/inject/header.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/web/index/text.hpp"

#include <algorithm>
#include <array>
#include <ctime>

namespace qm::web {

namespace {

using qm::lists::MediaType;

bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool digit(char c) {
    return c >= '0' && c <= '9';
}

// A header field's text for the index: decoded, valid UTF-8, at most max bytes.
std::string field_text(std::string_view raw, size_t max) {
    return std::string(utf8_prefix(decode_header_text(raw), max));
}

// days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The words of a date: comments dropped, split at blanks and commas.
std::vector<std::string_view> date_words(std::string_view value, std::string& storage) {
    storage.clear();
    int depth = 0;
    for (char c : value) {
        if (c == '(')
            ++depth;
        else if (c == ')' && depth > 0)
            --depth;
        else if (depth == 0)
            storage += c == ',' ? ' ' : c;
    }
    std::vector<std::string_view> words;
    std::string_view s = storage;
    while (!s.empty()) {
        while (!s.empty() && blank(s.front()))
            s.remove_prefix(1);
        size_t n = 0;
        while (n < s.size() && !blank(s[n]))
            ++n;
        if (n > 0)
            words.push_back(s.substr(0, n));
        s.remove_prefix(n);
    }
    return words;
}

bool number(std::string_view s, long& out, size_t max_digits) {
    if (s.empty() || s.size() > max_digits)
        return false;
    out = 0;
    for (char c : s) {
        if (!digit(c))
            return false;
        out = out * 10 + (c - '0');
    }
    return true;
}

// A zone as seconds east of UTC; false when the word is no zone (then UTC is assumed).
bool zone_offset(std::string_view z, long& seconds) {
    if ((z.starts_with('+') || z.starts_with('-')) && z.size() == 5) {
        long hhmm = 0;
        if (!number(z.substr(1), hhmm, 4))
            return false;
        seconds = (hhmm / 100 * 3600 + hhmm % 100 * 60) * (z[0] == '-' ? -1 : 1);
        return true;
    }
    struct Named {
        std::string_view name;
        long hours;
    };
    // RFC 5322 4.3's obsolete zones; military letters other than Z mean nothing sure.
    static constexpr std::array<Named, 12> named = {{{"ut", 0},
                                                     {"utc", 0},
                                                     {"gmt", 0},
                                                     {"z", 0},
                                                     {"est", -5},
                                                     {"edt", -4},
                                                     {"cst", -6},
                                                     {"cdt", -5},
                                                     {"mst", -7},
                                                     {"mdt", -6},
                                                     {"pst", -8},
                                                     {"pdt", -7}}};
    const std::string l = qm::address::lowercase(z);
    for (const auto& n : named)
        if (l == n.name) {
            seconds = n.hours * 3600;
            return true;
        }
    return false;
}

int month_number(std::string_view word) {
    static constexpr std::array<std::string_view, 12> months = {
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    if (word.size() < 3)
        return 0;
    const std::string l = qm::address::lowercase(word.substr(0, 3));
    for (size_t i = 0; i < months.size(); ++i)
        if (l == months[i])
            return static_cast<int>(i) + 1;
    return 0;
}

// ---- MIME ----

// The value of parameter name in a Content-Disposition or Content-Type value, RFC 2231
// forms included (name*=charset'lang'%XX, name*0=..., name*1*=...), decoded to UTF-8.
std::string parameter(std::string_view value, std::string_view name) {
    struct Piece {
        int index;
        bool extended;
        std::string text;
    };
    std::vector<Piece> pieces;
    std::string plain;
    bool have_plain = false;
    size_t pos = value.find(';');
    while (pos != std::string_view::npos && pos < value.size()) {
        ++pos;
        while (pos < value.size() && blank(value[pos]))
            ++pos;
        size_t eq = pos;
        while (eq < value.size() && value[eq] != '=' && value[eq] != ';')
            ++eq;
        if (eq >= value.size() || value[eq] == ';') {
            pos = eq < value.size() ? eq : std::string_view::npos;
            continue;
        }
        std::string key = qm::address::lowercase(value.substr(pos, eq - pos));
        while (!key.empty() && blank(key.back()))
            key.pop_back();
        pos = eq + 1;
        while (pos < value.size() && blank(value[pos]))
            ++pos;
        std::string v;
        if (pos < value.size() && value[pos] == '"') {
            ++pos;
            while (pos < value.size() && value[pos] != '"') {
                if (value[pos] == '\\' && pos + 1 < value.size())
                    ++pos;
                v += value[pos++];
            }
            pos = value.find(';', pos);
        } else {
            size_t end = value.find(';', pos);
            std::string_view raw =
                value.substr(pos, end == std::string_view::npos ? value.size() - pos : end - pos);
            while (!raw.empty() && blank(raw.back()))
                raw.remove_suffix(1);
            v = raw;
            pos = end;
        }
        if (key == name) {
            if (!have_plain)
                plain = std::move(v);
            have_plain = true;
            continue;
        }
        if (!key.starts_with(name) || key.size() <= name.size() || key[name.size()] != '*')
            continue;
        std::string_view rest = std::string_view(key).substr(name.size() + 1);
        Piece p{0, false, std::move(v)};
        if (rest.empty()) {
            p.extended = true; // name*=
        } else {
            p.extended = rest.ends_with('*');
            if (p.extended)
                rest.remove_suffix(1);
            long index = 0;
            if (!number(rest, index, 3))
                continue;
            p.index = static_cast<int>(index);
        }
        if (pieces.size() < 64)
            pieces.push_back(std::move(p));
    }
    if (pieces.empty())
        return have_plain ? decode_header_text(plain) : std::string{};
    std::stable_sort(pieces.begin(), pieces.end(),
                     [](const Piece& a, const Piece& b) { return a.index < b.index; });
    // RFC 2231 4: the first extended piece names the charset and language.
    std::string charset;
    std::string bytes;
    bool first = true;
    for (const auto& p : pieces) {
        std::string_view t = p.text;
        if (p.extended && first) {
            const size_t q1 = t.find('\'');
            const size_t q2 = q1 == std::string_view::npos ? q1 : t.find('\'', q1 + 1);
            if (q2 != std::string_view::npos) {
                charset = qm::address::lowercase(t.substr(0, q1));
                t.remove_prefix(q2 + 1);
            }
        }
        first = false;
        if (!p.extended) {
            bytes += t;
            continue;
        }
        for (size_t i = 0; i < t.size(); ++i) {
            auto hex = [](char c) {
                if (digit(c))
                    return c - '0';
                c = qm::ascii_lower(c);
                return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            };
            if (t[i] == '%' && i + 2 < t.size() && hex(t[i + 1]) >= 0 && hex(t[i + 2]) >= 0) {
                bytes += static_cast<char>(hex(t[i + 1]) * 16 + hex(t[i + 2]));
                i += 2;
            } else {
                bytes += t[i];
            }
        }
    }
    std::string out = to_utf8(bytes, charset);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    return out;
}

// The decoded size of a part without decoding it: base64 counts its alphabet, anything
// else is decoded (quoted-printable) or taken as it is.
std::uint64_t decoded_size(std::string_view encoding, std::string_view body) {
    const std::string e = qm::address::lowercase(qm::lists::trim_blanks(encoding));
    if (e.starts_with("base64")) {
        std::uint64_t chars = 0;
        for (char c : body)
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || digit(c) || c == '+' ||
                c == '/')
                ++chars;
        return chars * 3 / 4;
    }
    if (e.starts_with("quoted-printable"))
        return qm::lists::decode_transfer_encoding(e, body).size();
    return body.size();
}

struct Walker {
    const Limits& limits;
    IndexedMessage& out;
    unsigned leaves = 0;
    std::string plain; // text/plain parts, joined
    std::string html;  // text/html parts as text, for a message without text/plain
    bool any_plain = false;

    // Each kind of text has the whole room: the search text is one of them, and a big
    // HTML alternative must not crowd out the text/plain one.
    [[nodiscard]] size_t room_in(const std::string& to) const {
        return to.size() >= limits.text_bytes ? 0 : limits.text_bytes - to.size();
    }

    void add_text(std::string& to, std::string_view text) {
        size_t room = room_in(to);
        const size_t joint = to.empty() ? 0 : 1; // the newline between two parts
        if (text.size() + joint > room)
            out.truncated = true;
        if (room <= joint)
            return;
        room -= joint;
        if (joint != 0)
            to += "\n";
        to += utf8_prefix(text, room);
    }

    void leaf(const MediaType& type, const std::vector<std::string>& fields, std::string_view body,
              size_t enclosed) {
        if (++leaves > limits.parts) {
            out.truncated = true;
            return;
        }
        const std::string encoding =
            qm::lists::unfolded_field(fields, "content-transfer-encoding").value_or("");
        auto [filename, attached] = part_disposition(fields);
        const bool text = type.type == "text/plain" || type.type == "text/html";
        if (text && !attached) {
            const bool is_plain = type.type == "text/plain";
            any_plain = any_plain || is_plain;
            std::string& to = is_plain ? plain : html;
            if (room_in(to) == 0) {
                out.truncated = true;
                return;
            }
            const std::string decoded = qm::lists::decode_transfer_encoding(encoding, body);
            const std::string utf8 = to_utf8(decoded, type.charset);
            if (is_plain)
                add_text(plain, utf8);
            else
                add_text(html, html_to_text(utf8));
            return;
        }
        if (type.type == "message/rfc822" && !attached) {
            if (enclosed >= limits.enclosed_depth) {
                out.truncated = true;
                return;
            }
            const std::string inner = qm::lists::decode_transfer_encoding(encoding, body);
            message(inner, enclosed + 1);
            return;
        }
        if (out.attachments.size() >= limits.attachments) {
            out.truncated = true;
            return;
        }
        Attachment a;
        a.part = leaves;
        a.filename = std::string(utf8_prefix(filename, limits.field_bytes));
        a.content_type = repair_utf8(type.type);
        a.size = decoded_size(encoding, body);
        out.attachments.push_back(std::move(a));
    }

    // A message's MIME tree; an enclosed message's subject is searchable text too.
    void message(std::string_view text, size_t enclosed) {
        const auto split = qm::inject::split_message(text);
        if (enclosed > 0)
            if (auto subject = qm::lists::unfolded_field(split.fields, "subject"))
                add_text(plain, field_text(*subject, limits.field_bytes));
        auto type = qm::lists::content_type_of(split.fields);
        if (!type) {
            // A Content-Type nobody can read: the body is text, in no known charset.
            out.broken_mime = true;
            type = MediaType{};
        }
        qm::lists::MimeVisitor v;
        v.part = [](const MediaType&) {};
        v.filler = [](std::string_view) {};
        v.leaf = [&](const MediaType& t, const std::vector<std::string>& fields,
                     std::string_view body) { leaf(t, fields, body, enclosed); };
        const unsigned before = leaves;
        if (auto s = qm::lists::walk_mime(v, split, *type); !s) {
            out.broken_mime = true;
            if (leaves == before) {
                std::string_view body = split.body;
                if (body.starts_with('\n'))
                    body.remove_prefix(1);
                leaf(MediaType{.type = "text/plain", .charset = type->charset}, {}, body, enclosed);
            }
        }
    }
};

} // namespace

PartDisposition part_disposition(const std::vector<std::string>& fields) {
    const std::string disposition =
        qm::lists::unfolded_field(fields, "content-disposition").value_or("");
    PartDisposition out;
    out.filename = parameter(disposition, "filename");
    if (out.filename.empty()) {
        // MediaType's name is the raw parameter; RFC 2231 and 2047 forms are read here.
        const auto ct = qm::lists::unfolded_field(fields, "content-type");
        out.filename = ct ? parameter(*ct, "name") : std::string{};
    }
    out.attached =
        qm::address::lowercase(disposition).starts_with("attachment") || !out.filename.empty();
    return out;
}

std::vector<std::string> message_ids(std::string_view value) {
    std::vector<std::string> ids;
    size_t pos = 0;
    while ((pos = value.find('<', pos)) != std::string_view::npos) {
        const size_t end = value.find('>', pos + 1);
        if (end == std::string_view::npos)
            break;
        std::string id;
        for (char c : value.substr(pos + 1, end - pos - 1))
            if (!blank(c))
                id += c;
        if (!id.empty() && id.size() <= 998)
            ids.push_back(repair_utf8(id));
        pos = end + 1;
    }
    if (ids.empty()) {
        std::string_view v = qm::lists::trim_blanks(value);
        size_t n = 0;
        while (n < v.size() && !blank(v[n]))
            ++n;
        if (n > 0 && n <= 998)
            ids.push_back(repair_utf8(v.substr(0, n)));
    }
    return ids;
}

std::int64_t parse_date(std::string_view value) {
    std::string storage;
    auto words = date_words(value, storage);
    size_t i = 0;
    if (i < words.size() && !words[i].empty() && !digit(words[i][0]))
        ++i; // the day of the week
    if (words.size() < i + 4)
        return 0;
    long day = 0, year = 0;
    const int month = month_number(words[i + 1]);
    if (!number(words[i], day, 2) || month == 0 || !number(words[i + 2], year, 4))
        return 0;
    if (words[i + 2].size() == 2)
        year += year < 50 ? 2000 : 1900; // RFC 5322 4.3
    else if (words[i + 2].size() == 3)
        year += 1900;
    long hour = 0, minute = 0, second = 0;
    std::string_view t = words[i + 3];
    const size_t c1 = t.find(':');
    if (c1 == std::string_view::npos || !number(t.substr(0, c1), hour, 2))
        return 0;
    const size_t c2 = t.find(':', c1 + 1);
    if (!number(
            t.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1),
            minute, 2))
        return 0;
    if (c2 != std::string_view::npos && !number(t.substr(c2 + 1), second, 2))
        return 0;
    if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1900 ||
        year > 9999)
        return 0;
    long zone = 0;
    if (words.size() > i + 4)
        (void)zone_offset(words[i + 4], zone);
    const std::int64_t days =
        days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    return days * 86400 + hour * 3600 + minute * 60 + second - zone;
}

Mailbox parse_mailbox(std::string_view value) {
    Mailbox m;
    // The first mailbox of the list: up to a ',' outside quotes, comments and angles.
    bool quoted = false, angle = false;
    int depth = 0;
    size_t end = 0;
    for (; end < value.size(); ++end) {
        const char c = value[end];
        if (quoted) {
            if (c == '\\')
                ++end;
            else if (c == '"')
                quoted = false;
        } else if (depth > 0) {
            if (c == '(')
                ++depth;
            else if (c == ')')
                --depth;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '(') {
            depth = 1;
        } else if (c == '<') {
            angle = true;
        } else if (c == '>') {
            angle = false;
        } else if (c == ',' && !angle) {
            break;
        }
    }
    value = value.substr(0, std::min(end, value.size()));
    std::string name_raw, comment, address;
    quoted = false;
    depth = 0;
    bool in_angle = false, had_angle = false;
    std::string outside; // text outside quotes, comments and angles
    for (size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (quoted) {
            if (c == '\\' && i + 1 < value.size())
                name_raw += value[++i];
            else if (c == '"')
                quoted = false;
            else
                name_raw += c;
        } else if (depth > 0) {
            if (c == '(')
                ++depth;
            else if (c == ')')
                --depth;
            if (depth > 0 && comment.size() < 4096)
                comment += c;
        } else if (in_angle) {
            if (c == '>')
                in_angle = false;
            else if (!had_angle || address.size() < 4096)
                address += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '(') {
            depth = 1;
        } else if (c == '<' && !had_angle) {
            in_angle = had_angle = true;
        } else {
            outside += c;
        }
    }
    if (had_angle) {
        name_raw += outside;
    } else {
        // addr-spec alone: the word with '@' (or the whole) is the address, a comment
        // the name.
        std::string_view o = qm::lists::trim_blanks(outside);
        address = o;
        name_raw = comment;
    }
    if (name_raw.empty() && had_angle)
        name_raw = comment;
    std::string a;
    for (char c : address)
        if (!blank(c))
            a += qm::ascii_lower(c);
    m.address = repair_utf8(a);
    m.name = decode_header_text(name_raw);
    return m;
}

IndexedMessage index_message(std::string_view message, const Limits& limits) {
    IndexedMessage out;
    out.size = message.size();
    if (message.size() > limits.message_bytes) {
        message = message.substr(0, limits.message_bytes);
        out.truncated = true;
    }
    const auto split = qm::inject::split_message(message);
    const auto& fields = split.fields;
    auto field = [&](std::string_view name) { return qm::lists::unfolded_field(fields, name); };
    if (auto v = field("message-id")) {
        auto ids = message_ids(*v);
        if (!ids.empty())
            out.message_id = std::move(ids.front());
    }
    if (auto v = field("subject"))
        out.subject = field_text(*v, limits.field_bytes);
    if (auto v = field("from")) {
        auto box = parse_mailbox(*v);
        out.from_name = std::string(utf8_prefix(box.name, limits.field_bytes));
        out.from_address = std::string(utf8_prefix(box.address, limits.field_bytes));
    }
    if (auto v = field("date"))
        out.date = parse_date(*v);
    if (out.date == 0)
        if (auto v = field("received")) // where it was first received
            if (size_t semi = v->rfind(';'); semi != std::string::npos)
                out.date = parse_date(std::string_view(*v).substr(semi + 1));
    std::vector<std::string> refs;
    if (auto v = field("references"))
        refs = message_ids(*v);
    if (auto v = field("in-reply-to")) {
        // In-Reply-To may hold words besides the ID ("your message of ..."): only <...>.
        std::string_view value = *v;
        if (value.find('<') != std::string_view::npos) {
            auto ids = message_ids(value);
            if (!ids.empty()) {
                out.in_reply_to = ids.front();
                // JWZ: In-Reply-To names the parent when References does not end with it.
                if (refs.empty() || refs.back() != out.in_reply_to) {
                    std::erase(refs, out.in_reply_to);
                    refs.push_back(out.in_reply_to);
                }
            }
        }
    }
    std::erase(refs, out.message_id); // a message is not its own ancestor
    if (refs.size() > limits.references) {
        refs.erase(refs.begin(), refs.end() - static_cast<long>(limits.references));
        out.truncated = true;
    }
    out.references = std::move(refs);

    Walker w{limits, out};
    w.message(message, 0);
    // text/html is searched only where no text/plain part says the same.
    out.body_text = w.any_plain ? std::move(w.plain) : std::move(w.html);
    return out;
}

std::string header_parameter(std::string_view value, std::string_view name) {
    return parameter(value, name);
}

} // namespace qm::web

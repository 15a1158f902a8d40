#include "qm/lists/core/mime.hpp"

#include "qm/address.hpp"
#include "qm/inject/header.hpp"

#include <mimetic/codec/base64.h>
#include <mimetic/codec/codec.h>
#include <mimetic/codec/qp.h>

#include <algorithm>
#include <functional>

namespace qm::lists {

using qm::address::lowercase;

namespace {

bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

Failure broken(std::string_view what) {
    return perm("5.6.0", "Sorry, the message has broken MIME structure: " + std::string(what));
}

// RFC 2045 token characters: anything printable but space and tspecials.
bool token_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127)
        return false;
    return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// A cursor over a Content-Type value.
class Scanner {
public:
    explicit Scanner(std::string_view text)
        : s_(text) {}

    // Skips blanks and (nested, escaped) comments.
    Status skip_cfws() {
        while (pos_ < s_.size()) {
            if (blank(s_[pos_])) {
                ++pos_;
            } else if (s_[pos_] == '(') {
                int depth = 0;
                do {
                    if (s_[pos_] == '\\')
                        ++pos_;
                    else if (s_[pos_] == '(')
                        ++depth;
                    else if (s_[pos_] == ')')
                        --depth;
                    ++pos_;
                } while (depth > 0 && pos_ < s_.size());
                if (depth > 0)
                    return fail(broken("unterminated comment in Content-Type: " + excerpt(s_)));
            } else {
                break;
            }
        }
        return {};
    }
    std::string_view token() {
        size_t start = pos_;
        while (pos_ < s_.size() && token_char(s_[pos_]))
            ++pos_;
        return s_.substr(start, pos_ - start);
    }
    Result<std::string> quoted() {
        std::string out;
        ++pos_; // the opening quote
        while (pos_ < s_.size() && s_[pos_] != '"') {
            if (s_[pos_] == '\\' && pos_ + 1 < s_.size())
                ++pos_;
            out += s_[pos_++];
        }
        if (pos_ >= s_.size())
            return fail(broken("unterminated quoted string in Content-Type: " + excerpt(s_)));
        ++pos_;
        return out;
    }
    [[nodiscard]] bool at_end() const { return pos_ >= s_.size(); }
    [[nodiscard]] char peek() const { return s_[pos_]; }
    void advance() { ++pos_; }
    // Moves past the next ';' (or to the end): the way past a parameter we cannot read.
    void skip_parameter() {
        while (pos_ < s_.size() && s_[pos_] != ';') {
            if (s_[pos_] == '"') {
                if (!quoted())
                    return;
                continue;
            }
            ++pos_;
        }
    }

private:
    std::string_view s_;
    size_t pos_ = 0;
};

Status walk(const MimeVisitor& v, const std::vector<std::string>& fields, std::string_view body,
            const MediaType& type, size_t depth);

Status read_part(const MimeVisitor& v, std::string_view part, size_t depth) {
    auto split = qm::inject::split_message(part);
    auto type = content_type_of(split.fields);
    if (!type)
        return fail(type.error());
    v.part(*type);
    std::string_view body = split.body;
    if (body.starts_with("\n"))
        body.remove_prefix(1);
    return walk(v, split.fields, body, *type, depth + 1);
}

Status walk(const MimeVisitor& v, const std::vector<std::string>& fields, std::string_view body,
            const MediaType& type, size_t depth) {
    if (!type.multipart()) {
        v.leaf(type, fields, body);
        return {};
    }
    if (depth >= max_mime_depth)
        return fail(broken("multipart parts nested more than " + std::to_string(max_mime_depth) +
                           " levels deep"));
    const std::string delimiter = "--" + type.boundary;
    bool seen = false, closed = false;
    size_t part_start = std::string_view::npos;
    size_t pos = 0;
    auto finish_part = [&](size_t end) -> Status {
        if (part_start == std::string_view::npos)
            return {};
        return read_part(v, body.substr(part_start, end - part_start), depth);
    };
    while (pos < body.size() && !closed) {
        size_t nl = body.find('\n', pos);
        size_t next = nl == std::string_view::npos ? body.size() : nl + 1;
        std::string_view line = body.substr(pos, next - pos);
        if (line.starts_with(delimiter)) {
            std::string_view after = trim_blanks(line.substr(delimiter.size()));
            if (after.empty() || after == "--") {
                if (auto s = finish_part(pos); !s)
                    return s;
                seen = true;
                closed = after == "--";
                part_start = next;
                pos = next;
                continue;
            }
        }
        if (part_start == std::string_view::npos)
            v.filler(line); // the preamble
        pos = next;
    }
    if (!seen)
        return fail(broken("the " + type.type + " body never uses its boundary \"" +
                           excerpt(type.boundary) + "\""));
    if (closed)
        v.filler(body.substr(pos));                 // the epilogue
    else if (auto s = finish_part(body.size()); !s) // no closing delimiter: ends here
        return s;
    if (v.end)
        v.end(type);
    return {};
}

// The message's body without the blank line that ends its header.
std::string_view body_of(const qm::inject::SplitMessage& split) {
    std::string_view body = split.body;
    if (body.starts_with("\n"))
        body.remove_prefix(1);
    return body;
}

} // namespace

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return s;
}

std::string excerpt(std::string_view s) {
    constexpr size_t limit = 60;
    std::string out;
    for (char c : s.substr(0, limit)) {
        auto u = static_cast<unsigned char>(c);
        out += u < 32 || u == 127 ? '?' : c;
    }
    if (s.size() > limit)
        out += "...";
    return out;
}

Result<MediaType> parse_media_type(std::string_view value) {
    Scanner in(value);
    if (auto s = in.skip_cfws(); !s)
        return fail(s.error());
    std::string_view type = in.token();
    if (auto s = in.skip_cfws(); !s)
        return fail(s.error());
    if (type.empty() || in.at_end() || in.peek() != '/')
        return fail(broken("Content-Type has no type/subtype: " + excerpt(value)));
    in.advance();
    if (auto s = in.skip_cfws(); !s)
        return fail(s.error());
    std::string_view subtype = in.token();
    if (subtype.empty())
        return fail(broken("Content-Type has no subtype: " + excerpt(value)));
    MediaType media;
    media.type = lowercase(type) + "/" + lowercase(subtype);
    bool have_boundary = false;
    while (true) {
        if (auto s = in.skip_cfws(); !s)
            return fail(s.error());
        if (in.at_end())
            break;
        if (in.peek() != ';') {
            in.skip_parameter(); // junk after the type: what follows may still be readable
            continue;
        }
        in.advance();
        if (auto s = in.skip_cfws(); !s)
            return fail(s.error());
        if (in.at_end())
            break;
        std::string name = lowercase(in.token());
        if (auto s = in.skip_cfws(); !s)
            return fail(s.error());
        if (name.empty() || in.at_end() || in.peek() != '=') {
            in.skip_parameter();
            continue;
        }
        in.advance();
        if (auto s = in.skip_cfws(); !s)
            return fail(s.error());
        std::string v;
        if (!in.at_end() && in.peek() == '"') {
            auto q = in.quoted();
            if (!q)
                return fail(q.error());
            v = std::move(*q);
        } else {
            v = std::string(in.token());
        }
        if (name == "boundary" && !have_boundary) {
            media.boundary = std::move(v);
            have_boundary = true;
        } else if (name == "charset" && media.charset.empty()) {
            media.charset = lowercase(v);
        } else if (name == "name" && media.name.empty()) {
            media.name = std::move(v);
        }
    }
    if (media.multipart() && media.boundary.empty())
        return fail(broken(media.type + " without a boundary parameter"));
    return media;
}

std::optional<std::string> unfolded_field(const std::vector<std::string>& fields,
                                          std::string_view name) {
    for (const auto& f : fields)
        if (lowercase(qm::inject::field_name(f)) == name)
            return qm::inject::unfold(qm::inject::field_value(f));
    return std::nullopt;
}

std::string decode_transfer_encoding(std::string_view mechanism, std::string_view body) {
    const std::string m = lowercase(trim_blanks(mechanism));
    // mimetic's decoders are lenient as readers are: characters outside base64's alphabet
    // are skipped, a broken =XX escape is kept as it stands.
    std::string out;
    if (m.starts_with("base64")) {
        mimetic::Base64::Decoder dec;
        mimetic::decode(body.begin(), body.end(), dec, std::back_inserter(out));
        return out;
    }
    if (m.starts_with("quoted-printable")) {
        mimetic::QP::Decoder dec;
        mimetic::decode(body.begin(), body.end(), dec, std::back_inserter(out));
        return out;
    }
    return std::string(body);
}

std::string crlf_line_ends(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (char c : text) {
        if (c == '\n' && (out.empty() || out.back() != '\r'))
            out += '\r';
        out += c;
    }
    return out;
}

std::string encode_base64(std::string_view data) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    constexpr size_t groups_per_line = 19; // 76 characters
    std::string out;
    size_t groups = 0;
    for (size_t i = 0; i < data.size(); i += 3) {
        const size_t n = std::min<size_t>(3, data.size() - i);
        unsigned long bits = 0;
        for (size_t k = 0; k < 3; ++k)
            bits = (bits << 8) | (k < n ? static_cast<unsigned char>(data[i + k]) : 0U);
        out += alphabet[(bits >> 18) & 63];
        out += alphabet[(bits >> 12) & 63];
        out += n > 1 ? alphabet[(bits >> 6) & 63] : '=';
        out += n > 2 ? alphabet[bits & 63] : '=';
        if (++groups == groups_per_line) {
            out += '\n';
            groups = 0;
        }
    }
    if (groups != 0)
        out += '\n';
    return out;
}

std::string encode_quoted_printable(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    constexpr size_t max_line = 76;
    std::string out;
    size_t column = 0;
    auto put = [&](std::string_view piece) {
        if (column + piece.size() > max_line - 1) { // room for the soft break's "="
            out += "=\n";
            column = 0;
        }
        out += piece;
        column += piece.size();
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
            if (c == '\r')
                ++i;
            out += '\n';
            column = 0;
            continue;
        }
        const bool at_line_end =
            i + 1 == text.size() || text[i + 1] == '\n' ||
            (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n');
        const bool literal =
            (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
        if (literal) {
            put(std::string_view(&text[i], 1));
        } else {
            const char escaped[3] = {'=', hex[c >> 4], hex[c & 15]};
            put(std::string_view(escaped, 3));
        }
    }
    return out;
}

Result<MediaType> content_type_of(const std::vector<std::string>& fields) {
    auto value = unfolded_field(fields, "content-type");
    if (!value || trim_blanks(*value).empty())
        return MediaType{};
    return parse_media_type(*value);
}

Status walk_mime(const MimeVisitor& visitor, const inject::SplitMessage& message,
                 const MediaType& type) {
    return walk(visitor, message.fields, body_of(message), type, 0);
}

Result<std::vector<MimeLeaf>> mime_leaves(std::string_view message) {
    auto split = qm::inject::split_message(message);
    auto type = content_type_of(split.fields);
    if (!type)
        return fail(type.error());
    std::vector<MimeLeaf> out;
    MimeVisitor v;
    v.part = [](const MediaType&) {};
    v.leaf = [&](const MediaType& t, const std::vector<std::string>& fields,
                 std::string_view body) {
        out.push_back({t, fields, std::string(body)});
    };
    v.filler = [](std::string_view) {};
    if (auto s = walk_mime(v, split, *type); !s)
        return fail(s.error());
    return out;
}

} // namespace qm::lists

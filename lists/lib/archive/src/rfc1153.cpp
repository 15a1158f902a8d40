#include "qm/lists/archive/rfc1153.hpp"

#include "qm/address.hpp"
#include "qm/inject/header.hpp"
#include "qm/lists/core/mime.hpp"
#include "qm/lists/core/utf8.hpp"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <memory>
#include <vector>

namespace qm::lists {

using qm::address::lowercase;

namespace {

// Text in a charset nobody here can read: the ASCII stays, every other byte becomes '?'.
std::string ascii_only(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if ((static_cast<unsigned char>(c) & 0x80) != 0)
            c = '?';
    return out;
}

// A charset name as MIME writes them; anything else (a path, "//TRANSLIT") is not
// handed to iconv.
bool plain_charset_name(std::string_view cs) {
    if (cs.empty() || cs.size() > 40)
        return false;
    for (char c : cs)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == ':' || c == '+'))
            return false;
    return true;
}

struct IconvClose {
    void operator()(void* cd) const { ::iconv_close(static_cast<iconv_t>(cd)); }
};
using Converter = std::unique_ptr<void, IconvClose>;

std::string converted(iconv_t cd, std::string_view text) {
    std::string out;
    std::array<char, 4096> buffer{};
    std::string in(text);
    char* from = in.data();
    size_t left = in.size();
    while (left > 0) {
        char* to = buffer.data();
        size_t room = buffer.size();
        const size_t r = ::iconv(cd, &from, &left, &to, &room);
        out.append(buffer.data(), static_cast<size_t>(to - buffer.data()));
        if (r != static_cast<size_t>(-1))
            continue;
        if (errno == E2BIG)
            continue;
        // EILSEQ or EINVAL (a sequence cut off at the end): one byte is lost.
        out += qm::lists::replacement_character;
        ++from;
        --left;
        ::iconv(cd, nullptr, nullptr, nullptr, nullptr); // back to the initial state
    }
    char* to = buffer.data();
    size_t room = buffer.size();
    ::iconv(cd, nullptr, nullptr, &to, &room); // a stateful charset's closing sequence
    out.append(buffer.data(), static_cast<size_t>(to - buffer.data()));
    return out;
}

bool blank_line(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Lines ending in "\n" (CRLF made LF), without the leading and trailing blank ones.
std::string without_blank_edges(std::string_view text) {
    std::vector<std::string_view> lines;
    std::string lf;
    lf.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n'))
            lf += text[i];
    std::string_view rest = lf;
    while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        lines.push_back(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    }
    size_t first = 0, last = lines.size();
    while (first < last && blank_line(lines[first]))
        ++first;
    while (last > first && blank_line(lines[last - 1]))
        --last;
    std::string out;
    for (size_t i = first; i < last; ++i) {
        out += lines[i];
        out += '\n';
    }
    return out;
}

// What a reader sees of one part that is not text/plain.
std::string left_out(const MediaType& type) {
    std::string note = "[" + type.type + " part";
    if (!type.name.empty())
        note += " \"" + excerpt(type.name) + "\"";
    return note + " left out: this digest shows text/plain parts only]\n";
}

std::string readable_text(const MimeLeaf& leaf) {
    const std::string decoded = decode_transfer_encoding(
        unfolded_field(leaf.fields, "content-transfer-encoding").value_or(""), leaf.body);
    if (auto text = to_utf8(decoded, leaf.type.charset))
        return *text;
    return "[text in the unknown charset \"" + excerpt(leaf.type.charset) +
           "\": other than ASCII shown as ?]\n" + ascii_only(decoded);
}

std::string readable_body(std::string_view message) {
    auto leaves = mime_leaves(message);
    if (!leaves) {
        const auto split = qm::inject::split_message(message);
        return "[the MIME structure of this message is broken; its body follows as it "
               "is]\n\n" +
               split.body;
    }
    std::string out;
    for (const MimeLeaf& leaf : *leaves) {
        std::string piece = leaf.type.type == "text/plain"
                                ? without_blank_edges(readable_text(leaf))
                                : left_out(leaf.type);
        if (piece.empty())
            continue;
        if (!out.empty())
            out += "\n";
        out += piece;
    }
    return out;
}

} // namespace

std::string stuff_hyphen_lines(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool line_start = true;
    for (char c : text) {
        if (line_start && c == '-')
            out += "- ";
        out += c;
        line_start = c == '\n';
    }
    return out;
}

std::optional<std::string> to_utf8(std::string_view text, std::string_view charset) {
    const std::string cs = lowercase(charset);
    if (cs.empty() || cs == "us-ascii" || cs == "ascii" || cs == "utf-8" || cs == "utf8")
        return qm::lists::repair_utf8(text);
    if (!plain_charset_name(cs))
        return std::nullopt;
    iconv_t cd = ::iconv_open("UTF-8", cs.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1))
        return std::nullopt;
    const Converter owner(cd);
    // iconv's output is UTF-8 already; the check keeps a faulty converter from passing on
    // bytes that are not.
    return qm::lists::repair_utf8(converted(cd, text));
}

std::string rfc1153_message(std::string_view message) {
    static constexpr std::array<std::string_view, 8> kept = {
        "date", "from", "to", "cc", "subject", "message-id", "keywords", "summary"};
    const auto split = qm::inject::split_message(message);
    std::string out;
    for (std::string_view name : kept)
        for (const auto& f : split.fields)
            if (lowercase(qm::inject::field_name(f)) == name)
                out += qm::lists::repair_utf8(f);
    out += "\n";
    out += stuff_hyphen_lines(qm::lists::repair_utf8(without_blank_edges(readable_body(message))));
    return out;
}

std::string rfc1153_trailer(std::string_view name, std::optional<unsigned long> issue) {
    std::string end = "End of " + std::string(name) + " Digest";
    if (issue)
        end += " Issue " + std::to_string(*issue);
    return end + "\n" + std::string(end.size(), '*') + "\n";
}

} // namespace qm::lists

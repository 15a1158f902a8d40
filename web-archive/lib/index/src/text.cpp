#include "qm/web/index/text.hpp"

#include "qm/address.hpp"
#include "qm/ascii.hpp"
#include "qm/lists/archive/archive_index.hpp"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>

namespace qm::web {

namespace {

// A charset name as MIME writes them. Anything else ("//TRANSLIT", a path: glibc reads
// both) never reaches iconv_open.
bool plain_charset_name(std::string_view cs) {
    if (cs.empty() || cs.size() > 40)
        return false;
    for (char c : cs)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == ':' || c == '+'))
            return false;
    return true;
}

bool utf8_label(std::string_view cs) {
    return cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii" || cs.empty();
}

struct IconvClose {
    void operator()(void* cd) const { ::iconv_close(static_cast<iconv_t>(cd)); }
};
using Converter = std::unique_ptr<void, IconvClose>;

// text through cd; strict: nullopt at the first byte that does not convert, else a
// byte that does not convert becomes U+FFFD.
std::optional<std::string> run_iconv(iconv_t cd, std::string_view text, bool strict) {
    std::string out;
    out.reserve(text.size() + text.size() / 2);
    std::array<char, 8192> buffer{};
    std::string in(text); // iconv's input is not const
    char* from = in.data();
    size_t left = in.size();
    while (left > 0) {
        char* to = buffer.data();
        size_t room = buffer.size();
        const size_t r = ::iconv(cd, &from, &left, &to, &room);
        out.append(buffer.data(), static_cast<size_t>(to - buffer.data()));
        if (r != static_cast<size_t>(-1) || errno == E2BIG)
            continue;
        if (strict)
            return std::nullopt;
        // EILSEQ, or EINVAL (a sequence cut off at the end): one byte is lost.
        out += replacement_character;
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

std::optional<std::string> convert(std::string_view text, std::string_view charset, bool strict) {
    const std::string cs = qm::address::lowercase(charset);
    if (!plain_charset_name(cs))
        return std::nullopt;
    iconv_t cd = ::iconv_open("UTF-8", cs.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1))
        return std::nullopt;
    const Converter owner(cd);
    auto out = run_iconv(cd, text, strict);
    // iconv's output is UTF-8 already; the check keeps a faulty converter module from
    // passing on bytes that are not.
    if (out && !is_valid_utf8(*out))
        out = repair_utf8(*out);
    return out;
}

void append_code_point(std::string& out, std::uint32_t cp) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        out += replacement_character;
    } else if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// One RFC 2047 encoded word at text[pos] ("=?charset?B|Q?payload?="): its charset
// (without an RFC 2231 "*language") and its end, or nullopt when there is none there.
struct EncodedWord {
    std::string charset;
    size_t end = 0;
};
std::optional<EncodedWord> encoded_word_at(std::string_view text, size_t pos) {
    if (text.substr(pos, 2) != "=?")
        return std::nullopt;
    const size_t q1 = text.find('?', pos + 2);
    if (q1 == std::string_view::npos || q1 + 2 >= text.size() || text[q1 + 2] != '?')
        return std::nullopt;
    const char encoding = qm::ascii_lower(text[q1 + 1]);
    if (encoding != 'b' && encoding != 'q')
        return std::nullopt;
    const size_t end = text.find("?=", q1 + 3);
    if (end == std::string_view::npos)
        return std::nullopt;
    std::string_view charset = text.substr(pos + 2, q1 - pos - 2);
    charset = charset.substr(0, charset.find('*'));
    return EncodedWord{qm::address::lowercase(charset), end + 2};
}

} // namespace

std::optional<std::string> convert_strictly(std::string_view text, std::string_view charset) {
    return convert(text, charset, true);
}

std::string to_utf8(std::string_view text, std::string_view declared) {
    if (is_valid_utf8(text))
        return std::string(text);
    const std::string cs = qm::address::lowercase(declared);
    if (!utf8_label(cs))
        if (auto out = convert(text, cs, true))
            return std::move(*out);
    if (auto out = convert(text, "windows-1252", false))
        return std::move(*out);
    return repair_utf8(text); // no iconv module at all: still never invalid
}

std::string decode_header_text(std::string_view raw) {
    const std::string unfolded = qm::lists::unfold_field(raw);
    const std::string_view text = unfolded;
    std::string out;
    size_t copied = 0;       // text[copied...] is not yet in out
    bool after_word = false; // out ends with a decoded word
    // No encoded word starts after the last "?=": stopping there keeps a long header of
    // would-be words without an end from costing a scan to its end for each of them.
    const size_t last_end = text.rfind("?=");
    for (size_t pos = text.find("=?");
         pos != std::string_view::npos && last_end != std::string_view::npos && pos < last_end;
         pos = text.find("=?", pos)) {
        auto word = encoded_word_at(text, pos);
        if (!word) {
            pos += 2;
            continue;
        }
        const std::string_view between = text.substr(copied, pos - copied);
        bool only_blanks = true;
        for (char c : between)
            only_blanks = only_blanks && blank(c);
        // RFC 2047 6.2: blanks between two encoded words are not displayed.
        if (!(only_blanks && after_word))
            out += to_utf8(between, "");
        // The archive's decoder gives the word's bytes; their charset is the word's own.
        const std::string bytes =
            qm::lists::decode_encoded_words(text.substr(pos, word->end - pos));
        out += to_utf8(bytes, word->charset);
        copied = pos = word->end;
        after_word = true;
    }
    out += to_utf8(text.substr(copied), "");
    // One line: controls (a NUL, a stray CR, a tab) become spaces.
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
            c = ' ';
    size_t first = out.find_first_not_of(' ');
    if (first == std::string::npos)
        return {};
    size_t last = out.find_last_not_of(' ');
    return out.substr(first, last - first + 1);
}

namespace {

struct Entity {
    std::string_view name;
    std::uint32_t code_point;
};
constexpr std::array<Entity, 16> entities = {{{"amp", '&'},
                                              {"lt", '<'},
                                              {"gt", '>'},
                                              {"quot", '"'},
                                              {"apos", '\''},
                                              {"nbsp", 0xA0},
                                              {"copy", 0xA9},
                                              {"reg", 0xAE},
                                              {"hellip", 0x2026},
                                              {"mdash", 0x2014},
                                              {"ndash", 0x2013},
                                              {"lsquo", 0x2018},
                                              {"rsquo", 0x2019},
                                              {"ldquo", 0x201C},
                                              {"rdquo", 0x201D},
                                              {"euro", 0x20AC}}};

// A character reference at html[pos] ('&'): appended to out, returns the position after
// it; npos when it is not one (the '&' is then text).
size_t character_reference(std::string_view html, size_t pos, std::string& out) {
    // Looked for nearby only: a long run of '&' without ';' must not cost a scan each.
    const size_t semi = html.substr(pos, 13).find(';');
    if (semi == std::string_view::npos)
        return std::string_view::npos;
    std::string_view ref = html.substr(pos + 1, semi - 1);
    const size_t end = pos + semi + 1;
    if (ref.starts_with('#')) {
        ref.remove_prefix(1);
        int base = 10;
        if (!ref.empty() && (ref[0] == 'x' || ref[0] == 'X')) {
            base = 16;
            ref.remove_prefix(1);
        }
        if (ref.empty())
            return std::string_view::npos;
        std::uint32_t cp = 0;
        for (char c : ref) {
            int digit = -1;
            if (c >= '0' && c <= '9')
                digit = c - '0';
            else if (base == 16 && c >= 'a' && c <= 'f')
                digit = c - 'a' + 10;
            else if (base == 16 && c >= 'A' && c <= 'F')
                digit = c - 'A' + 10;
            if (digit < 0)
                return std::string_view::npos;
            cp = cp * static_cast<std::uint32_t>(base) + static_cast<std::uint32_t>(digit);
            if (cp > 0x10FFFF)
                cp = 0x110000; // stays out of range without overflowing
        }
        append_code_point(out, cp);
        return end;
    }
    for (const auto& e : entities)
        if (ref == e.name) {
            append_code_point(out, e.code_point);
            return end;
        }
    return std::string_view::npos;
}

bool block_element(std::string_view name) {
    static constexpr std::array<std::string_view, 22> blocks = {
        "br",  "p",  "div", "tr", "li", "h1",         "h2",    "h3", "h4", "h5", "h6",
        "pre", "ul", "ol",  "td", "th", "blockquote", "table", "hr", "dt", "dd", "title"};
    for (auto b : blocks)
        if (name == b)
            return true;
    return false;
}

// Where "</name" starts at or after pos, letter case aside; npos if nowhere. One pass
// over the text, so that many scripts cost no more than one long one.
size_t end_tag_at(std::string_view html, size_t pos, std::string_view name) {
    for (size_t at = html.find("</", pos); at != std::string_view::npos;
         at = html.find("</", at + 2)) {
        if (html.size() - at - 2 < name.size())
            return std::string_view::npos;
        bool same = true;
        for (size_t i = 0; i < name.size() && same; ++i)
            same = qm::ascii_lower(html[at + 2 + i]) == name[i];
        if (same)
            return at;
    }
    return std::string_view::npos;
}

} // namespace

std::string html_to_text(std::string_view html) {
    std::string out;
    out.reserve(html.size() / 2);
    auto put_break = [&](char c) {
        while (!out.empty() && out.back() == ' ')
            out.pop_back();
        if (!out.empty() && out.back() != '\n')
            out += c;
    };
    size_t pos = 0;
    while (pos < html.size()) {
        const char c = html[pos];
        if (c == '<') {
            if (html.substr(pos, 4) == "<!--") {
                const size_t end = html.find("-->", pos + 4);
                pos = end == std::string_view::npos ? html.size() : end + 3;
                continue;
            }
            const size_t close = html.find('>', pos + 1);
            if (close == std::string_view::npos)
                break; // an unterminated tag: the rest is markup
            std::string_view tag = html.substr(pos + 1, close - pos - 1);
            const bool end_tag = tag.starts_with('/');
            if (end_tag)
                tag.remove_prefix(1);
            size_t name_end = 0;
            while (name_end < tag.size() && !blank(tag[name_end]) && tag[name_end] != '/')
                ++name_end;
            const std::string name = qm::address::lowercase(tag.substr(0, name_end));
            pos = close + 1;
            if (!end_tag && (name == "script" || name == "style")) {
                // Their content is code, not words: skip to the end tag (or the end).
                const size_t end = end_tag_at(html, pos, name);
                const size_t gt = end == std::string_view::npos ? end : html.find('>', end);
                pos = gt == std::string_view::npos ? html.size() : gt + 1;
                continue;
            }
            if (block_element(name))
                put_break('\n');
            continue;
        }
        if (c == '&') {
            if (size_t next = character_reference(html, pos, out); next != std::string_view::npos) {
                pos = next;
                continue;
            }
        }
        if (blank(c)) {
            if (!out.empty() && out.back() != ' ' && out.back() != '\n')
                out += ' ';
        } else {
            out += c;
        }
        ++pos;
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n'))
        out.pop_back();
    // The document was valid UTF-8; a reference to U+00A0 and friends keeps it so.
    return out;
}

} // namespace qm::web

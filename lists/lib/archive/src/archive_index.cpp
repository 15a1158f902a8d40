#include "qm/lists/archive/archive_index.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/listdir.hpp"
#include "qm/lists/core/mime.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>

namespace qm::lists {

namespace {

// SURF (D. J. Bernstein): 12 words in, 8 words out, under a 32-word seed.
void surf(std::array<std::uint32_t, 8>& out, const std::array<std::uint32_t, 12>& in,
          const std::array<std::uint32_t, 32>& seed) {
    constexpr int rotation[4] = {5, 7, 9, 13};
    std::array<std::uint32_t, 12> t{};
    for (int i = 0; i < 12; ++i)
        t[i] = in[i] ^ seed[12 + i];
    for (int i = 0; i < 8; ++i)
        out[i] = seed[24 + i];
    std::uint32_t x = t[11];
    std::uint32_t sum = 0;
    for (int pass = 0; pass < 2; ++pass) {
        for (int round = 0; round < 16; ++round) {
            sum += 0x9e3779b9U;
            for (int i = 0; i < 12; ++i) {
                const int b = rotation[i % 4];
                x = t[i] += ((x ^ seed[i]) + sum) ^ ((x << b) | (x >> (32 - b)));
            }
        }
        for (int i = 0; i < 8; ++i)
            out[i] ^= t[i + 4];
    }
}

// SURF-PCS: the input in 32-byte blocks (byte k of a block is bits 8(k%4) of word k/4),
// each block numbered by a 128-bit counter in words 8..11 and its SURF output summed;
// the end is marked by '.' and zero padding, and the sum is put through SURF once more.
class SurfPcs {
public:
    void add(unsigned char c) {
        const int word = todo_ / 4;
        const int shift = 8 * (todo_ % 4);
        in_[word] = (in_[word] & ~(0xffU << shift)) | (std::uint32_t{c} << shift);
        if (++todo_ < 32)
            return;
        todo_ = 0;
        for (int i = 8; i < 12 && ++in_[i] == 0; ++i) {
        }
        std::array<std::uint32_t, 8> out{};
        surf(out, in_, seed_);
        for (int i = 0; i < 8; ++i)
            sum_[i] += out[i];
    }
    std::array<unsigned char, 32> finish() {
        add('.');
        while (todo_ != 0)
            add('\0');
        for (int i = 0; i < 8; ++i)
            in_[i] = sum_[i];
        for (int i = 8; i < 12; ++i)
            in_[i] = 0;
        std::array<std::uint32_t, 8> out{};
        surf(out, in_, seed_);
        std::array<unsigned char, 32> h{};
        for (int i = 0; i < 32; ++i)
            h[i] = static_cast<unsigned char>(out[i / 4] >> (8 * (i % 4)));
        return h;
    }

private:
    std::array<std::uint32_t, 32> seed_{}; // makehash's seed is all zero
    std::array<std::uint32_t, 12> in_{};
    std::array<std::uint32_t, 8> sum_{};
    int todo_ = 0;
};

bool blank(char c) {
    return c == ' ' || c == '\t';
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = ascii_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

void decode_q(std::string_view in, std::string& out) {
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '_') {
            out += ' ';
        } else if (in[i] == '=' && i + 2 < in.size() && hex_digit(in[i + 1]) >= 0 &&
                   hex_digit(in[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(in[i + 1]) * 16 + hex_digit(in[i + 2]));
            i += 2;
        } else {
            out += in[i];
        }
    }
}

// ezmlm-idx's trimend: trailing blanks and line ends go, and so does a trailing "-Reply"
// (which marks a reply), repeatedly.
bool trim_end(std::string& s) {
    bool reply = false;
    for (;;) {
        while (!s.empty() &&
               (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
            s.pop_back();
        if (s.size() >= 6 &&
            starts_with_ignoring_case(std::string_view(s).substr(s.size() - 6), "-Reply")) {
            s.resize(s.size() - 6);
            reply = true;
            continue;
        }
        return reply;
    }
}

// Matches the list prefix at s[pos...]: spaces in the subject are skipped, a space in the
// prefix may match nothing, '#' matches the message number (digits and spaces). Returns
// the position after the prefix, or npos.
size_t match_prefix(std::string_view s, size_t pos, std::string_view prefix) {
    const size_t serial =
        prefix.rfind('#') == std::string_view::npos ? prefix.size() : prefix.rfind('#');
    auto compare = [&](size_t& p, size_t from, size_t to) {
        size_t i = from;
        while (i < to && p < s.size()) {
            if (s[p] != ' ') {
                if (prefix[i] == ' ') {
                    ++i;
                    continue;
                }
                if (s[p] != prefix[i])
                    break;
                ++i;
            }
            ++p;
        }
        return i == to;
    };
    size_t p = pos;
    if (!compare(p, 0, serial))
        return std::string_view::npos;
    if (serial != prefix.size()) {
        while (p < s.size() && (s[p] == ' ' || (s[p] >= '0' && s[p] <= '9')))
            ++p;
        if (!compare(p, serial + 1, prefix.size()))
            return std::string_view::npos;
    }
    return p;
}

// ezmlm-idx's trimre: leading reply indicators (a word of at least three characters
// ending in ':' and followed by a space; longer than five only as "XX[3]:", "XX(3):" or
// "XX3:") and the list prefix, repeatedly. Returns where the subject proper starts.
size_t trim_start(std::string_view s, std::string_view prefix, bool& reply, bool& had_prefix) {
    // ezmlm looks for the prefix only when it has one and it does not start with '#'.
    const bool use_prefix = !prefix.empty() && prefix.rfind('#') != 0;
    size_t cp = 0;
    for (bool again = true; again;) {
        again = false;
        while (cp < s.size() && blank(s[cp]))
            ++cp;
        size_t space = s.find(' ', cp + 1);
        if (cp < s.size() && space != std::string_view::npos && space >= cp + 3 &&
            s[space - 1] == ':') {
            const char c = s[space - 2];
            if (space <= cp + 5 || c == ')' || c == ']' || (c >= '0' && c <= '9')) {
                reply = true;
                again = true;
                cp = space + 1;
            }
        }
        if (use_prefix) {
            // A prefix that matched nothing (all blanks) would match forever.
            if (size_t after = match_prefix(s, cp, prefix);
                after != std::string_view::npos && after > cp) {
                cp = after;
                had_prefix = true;
                again = true;
            }
        }
    }
    return cp;
}

std::string hash_letters(const std::array<unsigned char, 32>& h) {
    std::string out(index_hash_length, 'a');
    for (size_t i = 0; i < index_hash_length; ++i)
        out[i] = static_cast<char>('a' + (h[i] & 15));
    return out;
}

std::string printable_line(std::string s) {
    // A NUL or newline would break the two-line entry.
    for (char& c : s)
        if (c == '\0' || c == '\n')
            c = ' ';
    return s;
}

bool parse_number(std::string_view s, unsigned long& n, size_t& used) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    used = static_cast<size_t>(p - s.data());
    return ec == std::errc{} && used > 0;
}

} // namespace

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size())
        return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (ascii_lower(s[i]) != ascii_lower(prefix[i]))
            return false;
    return true;
}

std::string ezmlm_hash(std::string_view text) {
    SurfPcs s;
    for (char c : text) {
        if (blank(c))
            continue;
        // ASCII capitals lower-cased, as ezmlm-idx 7.2.2's makehash (surfpcs_addlc)
        // does: a subject or author differing only in case is the same thread/author.
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        s.add(static_cast<unsigned char>(c));
    }
    return hash_letters(s.finish());
}

std::string unfold_field(std::string_view value) {
    while (!value.empty() &&
           (value.front() == ' ' || value.front() == '\t' || value.front() == '\n'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\0' || value.back() == '\n' ||
                              value.back() == '\t' || value.back() == ' '))
        value.remove_suffix(1);
    std::string out;
    if (value.empty())
        return out;
    while (!value.empty()) {
        auto nl = value.find('\n');
        std::string_view line = value.substr(0, nl);
        value = nl == std::string_view::npos ? std::string_view{} : value.substr(nl + 1);
        while (!line.empty() && blank(line.front()))
            line.remove_prefix(1);
        while (!line.empty() && blank(line.back()))
            line.remove_suffix(1);
        out += line;
        out += ' ';
    }
    return out;
}

std::string decode_encoded_words(std::string_view text) {
    std::string out;
    size_t copied = 0;       // text[copied...] is not yet in out
    bool after_word = false; // out ends with a decoded word
    size_t pos = 0;
    // The first '?' and "?=" found at or after a place stay the first ones at or after
    // any later place before them: kept, so that a hostile subject ("=?a?x?" again and
    // again, or "=?" with no end) costs one pass, not a search to its end per "=?".
    size_t question = 0, closing = 0;
    bool question_known = false, closing_known = false;
    while ((pos = text.find("=?", pos)) != std::string_view::npos) {
        const size_t charset = pos + 2;
        if (!question_known || (question != std::string_view::npos && question < charset)) {
            question = text.find('?', charset);
            question_known = true;
        }
        const size_t q1 = question;
        if (q1 == std::string_view::npos)
            break; // no '?' after here: no encoded word either
        if (q1 + 2 >= text.size() || text[q1 + 2] != '?') {
            pos += 2;
            continue;
        }
        const char encoding = ascii_lower(text[q1 + 1]);
        const size_t start = q1 + 3;
        if (!closing_known || (closing != std::string_view::npos && closing < start)) {
            closing = text.find("?=", start);
            closing_known = true;
        }
        const size_t end = closing;
        if (end == std::string_view::npos)
            break; // no "?=" after here: no word can end
        if (encoding != 'b' && encoding != 'q') {
            pos += 2;
            continue;
        }
        std::string_view between = text.substr(copied, pos - copied);
        bool only_blanks = true;
        for (char c : between)
            only_blanks = only_blanks && blank(c);
        if (!(only_blanks && (after_word || copied == 0)))
            out += between;
        const std::string_view encoded = text.substr(start, end - start);
        if (encoding == 'b')
            out += decode_transfer_encoding("base64", encoded);
        else
            decode_q(encoded, out);
        copied = pos = end + 2;
        after_word = true;
    }
    out += text.substr(copied);
    return out;
}

NormalisedSubject normalise_subject(std::string_view raw, std::string_view prefix) {
    NormalisedSubject n;
    std::string s = decode_encoded_words(unfold_field(raw));
    n.reply = trim_end(s);
    const size_t start = trim_start(s, prefix, n.reply, n.had_prefix);
    n.text = printable_line(s.substr(start));
    return n;
}

std::string author_name(std::string_view s) {
    // Positions are signed: an empty range is last < first.
    const long len = static_cast<long>(s.size());
    bool escaped = false, quoted = false;
    int level = 0;
    long quote_first = -1, quote_last = -2, comment_first = -1, comment_last = -2;
    long before_angle = -2;
    bool angle = false;
    for (long i = 0; i < len; ++i) {
        const char c = s[static_cast<size_t>(i)];
        if (escaped) {
            escaped = false;
        } else if (c == '\\') {
            escaped = true;
        } else if (c == '"') {
            if (quoted) {
                quote_last = i - 1;
                break;
            }
            quote_first = i + 1;
            quoted = true;
        } else if (quoted) {
        } else if (c == '(') {
            if (level == 0)
                comment_first = i + 1;
            ++level;
        } else if (c == ')') {
            --level;
            if (level == 0)
                comment_last = i - 1;
        } else if (level == 0) {
            if (c == '<') {
                before_angle = i - 1;
                angle = true;
                break;
            }
            if (c == ';')
                break;
        }
    }
    long first = 0, last = len - 1;
    if (angle) {
        last = before_angle;
    } else if (quote_first >= 0 && quote_last >= quote_first) {
        first = quote_first;
        last = quote_last;
    } else if (comment_first >= 0 && comment_last >= comment_first) {
        first = comment_first;
        last = comment_last;
    }
    for (bool retried = false;; retried = true) {
        auto at = [&](long i) { return s[static_cast<size_t>(i)]; };
        while (first <= last && (at(first) == ' ' || at(first) == '\t' || at(first) == '<'))
            ++first;
        while (last >= first &&
               (at(last) == ' ' || at(last) == '\t' || at(last) == '\n' || at(last) == '>'))
            --last;
        if (last >= first || retried)
            break;
        first = 0;
        last = len - 1;
    }
    std::string name = last >= first
                           ? decode_encoded_words(s.substr(static_cast<size_t>(first),
                                                           static_cast<size_t>(last - first + 1)))
                           : std::string();
    for (char& c : name)
        if (c == '@')
            c = '.';
    trim_end(name);
    return printable_line(std::move(name));
}

std::string author_hash(std::string_view s) {
    const size_t at = s.rfind('@');
    if (at == std::string_view::npos)
        return ezmlm_hash(s);
    size_t end = at;
    while (++end < s.size() && s[end] != '>' && s[end] != ' ' && s[end] != ';') {
    }
    // Back to the '<', ' ' or ';' before the address (kept, as ezmlm keeps it), or the start.
    size_t begin = at;
    while (begin > 0) {
        const char c = s[--begin];
        if (c == '<' || c == ' ' || c == ';')
            break;
    }
    size_t dash = begin;
    while (dash < at && s[dash] != '-')
        ++dash;
    std::string key(s.substr(begin, dash - begin));
    key += s.substr(at, end - at);
    return ezmlm_hash(key);
}

IndexEntry make_index_entry(unsigned long n, const ParsedPost& post, std::string_view prefix) {
    // The raw value: all of the text after the colon, for unfold_field to trim.
    auto value_of = [&](std::string_view name) -> std::optional<std::string_view> {
        const HeaderField* f = post.first(name);
        if (!f)
            return std::nullopt;
        return std::string_view(f->text).substr(f->text.find(':') + 1);
    };
    const auto subject = value_of("subject");
    const auto from = value_of("from");
    const auto received = value_of("received");
    IndexEntry e;
    e.number = n;
    const auto sub = normalise_subject(subject.value_or(""), prefix);
    e.subject_hash = ezmlm_hash(sub.text);
    e.subject = (sub.reply ? "Re: " : "") + sub.text;
    if (received) {
        // The date qmail-queue wrote after "; " (ezmlm reads the first physical line; a
        // folded Received: is unfolded here rather than giving no date).
        std::string line = unfold_field(*received);
        if (auto semi = line.rfind(';'); semi != std::string::npos) {
            std::string date = line.substr(semi + 1);
            while (!date.empty() && blank(date.front()))
                date.erase(0, 1);
            while (!date.empty() && blank(date.back()))
                date.pop_back();
            e.date = printable_line(std::move(date));
        }
    }
    const std::string author = unfold_field(from.value_or(""));
    e.author_hash = author_hash(author);
    e.author = author_name(author);
    return e;
}

std::string format_index_entry(const IndexEntry& e) {
    std::string out = std::to_string(e.number);
    if (!e.has_author_line)
        return out + " " + e.subject + "\n";
    out += ": " + e.subject_hash + " " + e.subject + "\n";
    out += "\t" + e.date + ";" + e.author_hash + " " + e.author + "\n";
    return out;
}

std::vector<IndexEntry> parse_index(std::string_view text) {
    std::vector<IndexEntry> out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty())
            continue;
        if (line.front() == '\t') {
            if (out.empty() || !out.back().has_author_line || !out.back().author_hash.empty())
                continue;
            line.remove_prefix(1);
            auto semi = line.find(';');
            if (semi == std::string_view::npos)
                continue;
            IndexEntry& e = out.back();
            e.date = std::string(line.substr(0, semi));
            // "<hash> <author>"; a short (damaged) hash ends at its space.
            std::string_view rest = line.substr(semi + 1);
            size_t hash_end = std::min(rest.find(' '), index_hash_length);
            hash_end = std::min(hash_end, rest.size());
            e.author_hash = std::string(rest.substr(0, hash_end));
            if (rest.size() > hash_end + 1)
                e.author = std::string(rest.substr(hash_end + 1));
            continue;
        }
        IndexEntry e;
        size_t used = 0;
        if (!parse_number(line, e.number, used) || e.number == 0)
            continue;
        std::string_view rest = line.substr(used);
        if (rest.starts_with(": ") && rest.size() >= 2 + index_hash_length) {
            e.subject_hash = std::string(rest.substr(2, index_hash_length));
            rest.remove_prefix(2 + index_hash_length);
            if (!rest.empty())
                rest.remove_prefix(1);
            e.subject = std::string(rest);
        } else {
            // The old one-line form "N subject": no hashes, no author.
            e.has_author_line = false;
            if (!rest.empty())
                rest.remove_prefix(1);
            e.subject = std::string(rest);
            e.subject_hash = ezmlm_hash(normalise_subject(e.subject, "").text);
        }
        out.push_back(std::move(e));
    }
    return out;
}

std::string index_path(const std::string& dir, unsigned long block) {
    return dir + "/archive/" + std::to_string(block) + "/index";
}

Result<std::vector<IndexEntry>> read_index(const std::string& dir, unsigned long block) {
    auto text = read_file(dir, "archive/" + std::to_string(block) + "/index");
    if (!text)
        return fail(text.error());
    if (!*text)
        return std::vector<IndexEntry>{};
    return parse_index(**text);
}

Result<std::optional<IndexEntry>> find_index_entry(const std::string& dir, unsigned long n) {
    auto entries = read_index(dir, n / 100);
    if (!entries)
        return fail(entries.error());
    for (auto& e : *entries)
        if (e.number == n)
            return std::optional<IndexEntry>(std::move(e));
    return std::optional<IndexEntry>{};
}

Status add_index_entry(const std::string& dir, const IndexEntry& e) {
    const std::string block_dir = dir + "/archive/" + std::to_string(e.number / 100);
    if (::mkdir(block_dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + block_dir));
    auto old = read_index(dir, e.number / 100);
    if (!old)
        return fail(old.error());
    std::string text;
    for (const auto& o : *old) {
        if (o.number >= e.number)
            break; // messages come in order
        text += format_index_entry(o);
    }
    text += format_index_entry(e);
    const std::string path = index_path(dir, e.number / 100);
    if (auto w = write_file_atomic(path, text, 0744); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    return {};
}

Status index_post(const std::string& dir, unsigned long n, const ParsedPost& post,
                  std::string_view prefix) {
    return add_index_entry(dir, make_index_entry(n, post, prefix));
}

} // namespace qm::lists

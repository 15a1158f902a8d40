#include "qm/lists/manage/edit.hpp"

#include "mime_parts.hpp"
#include "qm/address.hpp"
#include "qm/fd.hpp"
#include "qm/lists/core/cookie.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>

namespace qm::lists {

namespace {

using qm::address::lowercase;

constexpr size_t max_text_name = 64;
// "> ", ">> ", "> > ": a longer prefix is no mail client's quoting.
constexpr size_t max_quote_prefix = 8;

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

std::string_view without_trailing_blanks(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool is_marker(std::string_view line, std::string_view marker) {
    return lowercase(without_trailing_blanks(line)) == lowercase(marker);
}

// The quoting in front of a start marker ("", "> ", ">> "...), or nullopt when the line
// is no start marker.
std::optional<std::string_view> start_marker_quote(std::string_view line) {
    const size_t quote = line.find_first_not_of("> \t");
    if (quote == std::string_view::npos || quote > max_quote_prefix)
        return std::nullopt;
    if (!is_marker(line.substr(quote), edit_start_marker))
        return std::nullopt;
    return line.substr(0, quote);
}

// One line of the text with the start marker's quoting taken off.
std::string_view unquoted(std::string_view line, std::string_view quote) {
    if (quote.empty())
        return line;
    if (line.starts_with(quote))
        return line.substr(quote.size());
    // An empty quoted line: "> " written as ">".
    if (line == without_trailing_blanks(quote))
        return {};
    return line;
}

std::string text_path(const std::string& dir, std::string_view name) {
    return dir + "/text/" + std::string(name);
}

} // namespace

bool is_editable_text_name(std::string_view name) {
    // ".tmp." marks write_file_atomic's temporary files (FILE.tmp.PID): one a crash left
    // behind is neither listed nor edited.
    if (name.empty() || name.size() > max_text_name || name.front() == '.' ||
        name.find("..") != std::string_view::npos || name.find(".tmp.") != std::string_view::npos)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

std::string edit_cookie_subject(std::string_view file, std::string_view moderator,
                                std::string_view contents) {
    std::string s(file);
    s += '\0';
    s += cookie_subject(moderator);
    s += '\0';
    s += sha256_hex(contents);
    return s;
}

EditedText text_between_markers(std::string_view body) {
    std::optional<std::string_view> quote;
    std::string text;
    while (!body.empty()) {
        const auto nl = body.find('\n');
        std::string_view line = body.substr(0, nl);
        body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (!quote) {
            quote = start_marker_quote(line);
            continue;
        }
        line = unquoted(line, *quote);
        if (is_marker(line, edit_end_marker)) {
            if (text.size() > max_edited_text)
                return {EditProblem::too_large, {}};
            return {EditProblem::none, std::move(text)};
        }
        text += line;
        text += '\n';
        // No need to keep reading a text that can no longer be accepted.
        if (text.size() > max_edited_text)
            return {EditProblem::too_large, {}};
    }
    return {EditProblem::no_markers, {}};
}

EditedText edited_text_of(std::string_view message) {
    std::string body;
    try {
        const std::string m(message);
        mimetic::MimeEntity e(m.begin(), m.end());
        const auto* text = mime::first_plain_text(e);
        if (text == nullptr)
            return {EditProblem::no_markers, {}};
        body = mime::decoded_body(*text);
    } catch (const std::exception&) {
        // mimetic gave up on a malformed message: there is no text to take from it.
        return {EditProblem::no_markers, {}};
    }
    return text_between_markers(body);
}

std::string text_between_marker_lines(std::string_view contents) {
    std::string block(edit_start_marker);
    block += '\n';
    block += contents;
    if (!contents.empty() && contents.back() != '\n')
        block += '\n';
    block += edit_end_marker;
    block += '\n';
    return block;
}

Result<std::optional<std::string>> read_editable_text(const std::string& dir,
                                                      std::string_view name) {
    const std::string path = text_path(dir, name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        // ELOOP: a symlink, which is never followed out of text/.
        if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
            return std::optional<std::string>{};
        return fail(from_errno(errno, "unable to open " + path));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(from_errno(errno, "unable to stat " + path));
    if (!S_ISREG(st.st_mode))
        return std::optional<std::string>{};
    auto data = read_all(fd.get());
    if (!data)
        return fail(temp("4.3.0", "unable to read " + path + ": " + data.error().text));
    return std::optional<std::string>(std::move(*data));
}

Result<std::vector<std::string>> editable_texts(const std::string& dir) {
    const std::string text_dir = dir + "/text";
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(text_dir.c_str()), ::closedir);
    if (!d) {
        if (errno == ENOENT)
            return std::vector<std::string>{};
        return fail(from_errno(errno, "unable to open " + text_dir));
    }
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d.get())) {
        const std::string_view name = e->d_name;
        struct stat st {};
        if (is_editable_text_name(name) &&
            ::fstatat(::dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode))
            names.emplace_back(name);
        errno = 0;
    }
    if (errno != 0)
        return fail(from_errno(errno, "unable to read " + text_dir));
    std::sort(names.begin(), names.end());
    return names;
}

Status write_edited_text(const std::string& dir, std::string_view name, std::string_view text) {
    const std::string path = text_path(dir, name);
    if (auto w = write_file_atomic(path, text, 0644); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    return {};
}

} // namespace qm::lists

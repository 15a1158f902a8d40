#include "qm/lists/bounce/bounce_store.hpp"

#include "qm/fd.hpp"
#include "qm/lists/core/cookie.hpp"
#include "qm/lists/core/ezmlm7_cookie.hpp"
#include "qm/lists/core/listdir.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace qm::lists {

namespace {

Status make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
        return fail(from_errno(errno, "unable to create " + path));
    return {};
}

Status make_dirs(const std::string& work, std::initializer_list<std::string> subs) {
    std::string path = work;
    for (const auto& s : subs) {
        path += "/" + s;
        if (auto m = make_dir(path); !m)
            return m;
    }
    return {};
}

Status put(const std::string& path, std::string_view data, std::time_t when) {
    if (auto w = write_file_atomic(path, data, 0600); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    return set_list_mtime(path, when);
}

std::string kept(std::string_view address, std::string_view sender, std::string_view bounce) {
    std::string text(address);
    text += '\0';
    text += "Return-Path: <" + std::string(sender) + ">\n";
    if (bounce.size() <= max_kept_bounce) {
        text += bounce;
    } else {
        text += bounce.substr(0, max_kept_bounce);
        if (text.back() != '\n')
            text += '\n';
        text += "[" + std::to_string(bounce.size() - max_kept_bounce) +
                " more bytes of the bounce were not kept]\n";
    }
    return text;
}

// d<T%10000>.<pid>[.<sequence>] (or w...): ezmlm's name, unique per process and address.
std::string kept_name(char kind, std::time_t when, unsigned sequence) {
    std::string name(1, kind);
    name += std::to_string(static_cast<unsigned long long>(when) % 10000) + "." +
            std::to_string(::getpid());
    if (sequence)
        name += "." + std::to_string(sequence);
    return name;
}

std::string one_word(std::string_view s) {
    std::string out;
    for (char c : s)
        out += c < 33 || c > 126 ? '?' : c;
    return out.empty() ? "-" : out;
}

} // namespace

Result<std::optional<std::string>> read_existing(const std::string& path) {
    const auto slash = path.rfind('/');
    return qm::lists::read_file(path.substr(0, slash), path.substr(slash + 1));
}

std::string bounce_hash(std::string_view address) {
    return ezmlm7_cookie("", "", address, "");
}

std::string bounce_history_path(const std::string& work, std::string_view address) {
    const std::string h = bounce_hash(address);
    return work + "/bounce/h/" + h.substr(0, 1) + "/h" + h.substr(1);
}

std::string earlier_bounce_history_path(const std::string& work, std::string_view address) {
    const std::string subject = cookie_subject(address);
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_Digest(subject.data(), subject.size(), md.data(), &len, EVP_sha256(), nullptr);
    std::string h(20, 'a');
    for (size_t i = 0; i < h.size(); ++i)
        h[i] = static_cast<char>('a' + (md[i] & 15));
    return work + "/bounce/h/" + h.substr(0, 1) + "/h" + h.substr(1);
}

Result<std::string> current_bounce_history_path(const std::string& work, std::string_view address) {
    std::string path = bounce_history_path(work, address);
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0)
        return path;
    if (errno != ENOENT)
        return fail(from_errno(errno, "unable to look at " + path));
    std::string earlier = earlier_bounce_history_path(work, address);
    if (::lstat(earlier.c_str(), &st) == 0)
        return earlier;
    if (errno != ENOENT)
        return fail(from_errno(errno, "unable to look at " + earlier));
    return path;
}

std::string bounce_day_dir(const std::string& work, std::time_t when) {
    return work + "/bounce/d/" + std::to_string(static_cast<unsigned long long>(when) / 10000);
}

Status set_list_mtime(const std::string& path, std::time_t when) {
    const struct timespec times[2] = {{when, 0}, {when, 0}};
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0)
        return fail(from_errno(errno, "unable to set the time of " + path));
    return {};
}

Status record_distribution_bounce(const std::string& work, std::string_view address,
                                  unsigned long msgnum, std::time_t when, std::string_view sender,
                                  std::string_view bounce, unsigned sequence) {
    const std::string h = bounce_hash(address);
    if (auto m = make_dirs(work, {"bounce", "h", h.substr(0, 1)}); !m)
        return m;
    const std::string history = bounce_history_path(work, address);
    // A history kept under our earlier name moves to 7.x's with this bounce: written in
    // the new place before it goes from the old one, so no number is lost.
    auto found = current_bounce_history_path(work, address);
    if (!found)
        return fail(found.error());
    auto before = read_existing(*found);
    if (!before)
        return fail(before.error());
    std::string numbers = before->value_or("");
    // The first bounce since the last warning is the one the warning quotes; it goes in
    // before the history names it, so a crash between the two repeats a warning rather
    // than losing one.
    if (numbers.empty()) {
        const std::string day = bounce_day_dir(work, when);
        if (auto m = make_dirs(work, {"bounce", "d", day.substr(day.rfind('/') + 1)}); !m)
            return m;
        if (auto p = put(day + "/" + kept_name('d', when, sequence), kept(address, sender, bounce),
                         when);
            !p)
            return p;
    }
    numbers += "   " + std::to_string(msgnum) + "\n";
    if (auto p = put(history, numbers, when); !p)
        return p;
    if (*found != history && ::unlink(found->c_str()) != 0 && errno != ENOENT)
        return fail(from_errno(errno, "unable to remove " + *found));
    return {};
}

Status record_warning_bounce(const std::string& work, std::string_view address, std::time_t when,
                             std::string_view sender, std::string_view bounce) {
    const std::string day = bounce_day_dir(work, when);
    if (auto m = make_dirs(work, {"bounce", "d", day.substr(day.rfind('/') + 1)}); !m)
        return m;
    return put(day + "/" + kept_name('w', when, 0), kept(address, sender, bounce), when);
}

Status record_uncounted(const std::string& work, std::time_t when, std::string_view what,
                        std::string_view address, const RecipientFailure& failure) {
    if (auto m = make_dirs(work, {"bounce"}); !m)
        return m;
    std::string line = std::to_string(static_cast<long long>(when)) + " " +
                       std::string(verdict_name(failure.verdict)) + " " + one_word(what) + " " +
                       one_word(address) + " " + one_word(failure.status) + " ";
    for (char c : failure.diagnostic.substr(0, 400))
        line += c < 32 || c > 126 ? '?' : c;
    line += "\n";
    const std::string path = work + "/bounce/uncounted";
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!fd)
        return fail(from_errno(errno, "unable to open " + path));
    if (auto w = write_all(fd.get(), line); !w)
        return fail(temp("4.3.0", "unable to write " + path + ": " + w.error().text));
    return fsync_fd(fd.get(), path);
}

KeptBounce parse_kept_bounce(std::string_view file) {
    auto nul = file.find('\0');
    if (nul == std::string_view::npos)
        return {};
    return {std::string(file.substr(0, nul)), std::string(file.substr(nul + 1))};
}

} // namespace qm::lists

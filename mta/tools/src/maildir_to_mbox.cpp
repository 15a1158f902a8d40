#include "qm/tools/maildir_to_mbox.hpp"

#include "qm/date.hpp"
#include "qm/fd.hpp"
#include "qm/local/mbox.hpp"
#include "qm/maildir_scan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace qm::tools {

namespace {

Failure trouble(const std::string& what, const std::string& path) {
    return temp("4.3.0", what + " " + path + ": " + std::strerror(errno));
}

// The From_ line's sender, from a first line "Return-Path: <...>\n" (qmail's rule: no
// Return-Path gives "XXX", <> gives MAILER-DAEMON, blanks become '-').
std::string from_line(const std::string& first, std::time_t when) {
    std::string who = "XXX";
    if (first.starts_with("Return-Path: <") && first.ends_with("\n")) {
        if (first.size() > 14 && first[14] == '>') {
            who = "MAILER-DAEMON";
        } else {
            who = first.size() >= 16 ? first.substr(14, first.size() - 16) : std::string();
            std::replace_if(
                who.begin(), who.end(), [](char c) { return c == ' ' || c == '\t'; }, '-');
        }
    }
    return "From " + who + " " + mbox_ctime(when);
}

// Appends one message to out in mbox form.
Status append_message(int out, const std::string& path, std::time_t when) {
    auto read = read_file(path);
    if (!read)
        return fail(read.error());
    const std::string& text = *read;
    std::string mbox;
    mbox.reserve(text.size() + 128);
    const size_t first_end = text.find('\n');
    mbox += from_line(text.substr(0, first_end == std::string::npos ? text.size() : first_end + 1),
                      when);
    // A last line without its newline gets one (qmail drops a message that has no
    // newline at all; this keeps it).
    local::append_from_quoted(mbox, text);
    mbox += '\n';
    if (auto w = write_all(out, mbox); !w)
        return w;
    return {};
}

} // namespace

Result<MboxMove> maildir_to_mbox(const std::string& maildir, const std::string& mbox,
                                 const std::string& mbox_tmp) {
    maildir::clean_tmp(maildir);
    auto scanned = maildir::scan(maildir);
    if (!scanned)
        return fail(scanned.error());
    const std::vector<maildir::Entry>& entries = *scanned;
    MboxMove result;
    if (entries.empty())
        return result; // nothing new: the mbox is not touched

    UniqueFd lock(::open(mbox.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!lock)
        return fail(trouble("unable to lock", mbox));
    if (auto locked = local::lock_mbox(lock.get()); !locked)
        return fail(temp("4.3.0", "unable to lock " + mbox + ": " + locked.error().text));
    UniqueFd old(::open(mbox.c_str(), O_RDONLY | O_CLOEXEC));
    if (!old)
        return fail(trouble("unable to read", mbox));
    UniqueFd fresh(::open(mbox_tmp.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0600));
    if (!fresh)
        return fail(trouble("unable to create", mbox_tmp));
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(old.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(trouble("unable to read", mbox));
        if (n == 0)
            break;
        if (auto w = write_all(fresh.get(), std::string_view(buf, static_cast<size_t>(n))); !w)
            return fail(trouble("unable to write to", mbox_tmp));
    }
    for (const auto& e : entries)
        if (auto s = append_message(fresh.get(), maildir + "/" + e.name, e.mtime); !s)
            return fail(s.error());
    if (::fsync(fresh.get()) != 0 || ::close(fresh.release()) != 0)
        return fail(trouble("unable to write to", mbox_tmp));
    if (::rename(mbox_tmp.c_str(), mbox.c_str()) != 0)
        return fail(trouble("unable to move " + mbox_tmp + " to", mbox));
    // The new name on disk before any message leaves the maildir (qmail does not wait
    // for it): a crash may then keep a message twice, never lose it.
    if (auto synced = fsync_dir(dirname_of(mbox)); !synced)
        return fail(synced.error());
    for (const auto& e : entries) {
        if (::unlink((maildir + "/" + e.name).c_str()) != 0)
            result.not_removed.push_back({e.name, std::strerror(errno)});
        else
            ++result.moved;
    }
    return result;
}

} // namespace qm::tools

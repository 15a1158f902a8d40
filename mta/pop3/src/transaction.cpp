#include "qm/pop3/transaction.hpp"

#include "qm/fd.hpp"
#include "qm/maildir_scan.hpp"
#include "qm/pop3/command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>

namespace qm::pop3 {

namespace {

// The UIDL of a message: its file name without new/ or cur/ and without the flags.
std::string unique_id(const std::string& name) {
    const std::string base = name.substr(4);
    return base.substr(0, base.find(':'));
}

bool ok(const Transaction::Output& out) {
    return out("+OK \r\n");
}

bool err(const Transaction::Output& out, std::string_view text) {
    return out("-ERR " + std::string(text) + "\r\n");
}

} // namespace

Result<std::vector<Message>> scan_maildir(const std::string& maildir) {
    maildir::clean_tmp(maildir);
    auto entries = maildir::scan(maildir);
    if (!entries)
        return fail(entries.error());
    std::vector<Message> out;
    out.reserve(entries->size());
    for (auto& e : *entries)
        out.push_back({std::move(e.name), e.size, false});
    return out;
}

std::optional<size_t> Transaction::number(std::string_view argument, const Output& out,
                                          bool& alive) {
    const auto i = message_index(argument, messages_.size());
    if (!i) {
        alive = err(out, error_text(i.error()));
        return std::nullopt;
    }
    if (messages_[*i].deleted) {
        alive = err(out, "already deleted");
        return std::nullopt;
    }
    return *i;
}

bool Transaction::listing(std::string_view argument, bool uidl, const Output& out) {
    auto line = [&](size_t i) {
        return std::to_string(i + 1) + " " +
               (uidl ? unique_id(messages_[i].name) : std::to_string(messages_[i].size)) + "\r\n";
    };
    if (!argument.empty()) {
        bool alive = true;
        const auto i = number(argument, out, alive);
        if (!i)
            return alive;
        return out("+OK " + line(*i));
    }
    std::string text = "+OK \r\n";
    for (size_t i = 0; i < messages_.size(); ++i)
        if (!messages_[i].deleted)
            text += line(i);
    text += ".\r\n";
    return out(text);
}

bool Transaction::send_message(size_t index, std::optional<unsigned long> body_lines,
                               const Output& out) {
    UniqueFd fd(::open((maildir_ + "/" + messages_[index].name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return err(out, "unable to open that message");
    if (!ok(out))
        return false;
    // Line by line: CRLF for LF, a leading dot doubled; TOP stops after the header and
    // body_lines lines of the body.
    std::string chunk;
    bool in_header = true;
    bool at_line_start = true;
    size_t line_length = 0;
    unsigned long body_left = body_lines.value_or(0);
    bool done = false;
    char buf[65536];
    while (!done) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t k = 0; k < n; ++k) {
            const char c = buf[k];
            if (at_line_start) {
                // A line of the body: does TOP still want it?
                if (!in_header && body_lines) {
                    if (body_left == 0) {
                        done = true;
                        break;
                    }
                    --body_left;
                }
                at_line_start = false;
                if (c == '.')
                    chunk += '.';
            }
            if (c == '\n') {
                chunk += "\r\n";
                if (in_header && line_length == 0)
                    in_header = false; // the empty line that ends the header
                line_length = 0;
                at_line_start = true;
                continue;
            }
            chunk += c;
            ++line_length;
        }
        if (chunk.size() >= sizeof buf) {
            if (!out(chunk))
                return false;
            chunk.clear();
        }
    }
    if (!at_line_start)
        chunk += "\r\n"; // a last line without its newline
    chunk += ".\r\n";
    return out(chunk);
}

bool Transaction::quit(const Output& out) {
    bool trouble = false;
    for (const auto& m : messages_) {
        const std::string path = maildir_ + "/" + m.name;
        if (m.deleted) {
            if (::unlink(path.c_str()) != 0 && errno != ENOENT)
                trouble = true;
        } else if (m.name.starts_with("new/")) {
            // Seen by a client now: cur/ with the maildir info ":2,", as qmail-pop3d does.
            const std::string to = maildir_ + "/cur/" + m.name.substr(4) + ":2,";
            (void)::rename(path.c_str(), to.c_str()); // as in qmail: if it fails, it stays new
        }
    }
    if (trouble)
        (void)err(out, "unable to unlink all deleted messages");
    (void)ok(out);
    return false;
}

bool Transaction::handle(std::string_view line, const Output& out) {
    const Command c = parse_command(line);
    switch (c.verb) {
    case Verb::quit:
        return quit(out);
    case Verb::stat: {
        std::uint64_t total = 0;
        for (const auto& m : messages_)
            if (!m.deleted)
                total += m.size;
        // qmail counts every message here, deleted ones too, and sizes only the others.
        return out("+OK " + std::to_string(messages_.size()) + " " + std::to_string(total) +
                   "\r\n");
    }
    case Verb::list:
    case Verb::uidl:
        return listing(c.argument, c.verb == Verb::uidl, out);
    case Verb::dele: {
        bool alive = true;
        const auto i = number(c.argument, out, alive);
        if (!i)
            return alive;
        messages_[*i].deleted = true;
        last_ = std::max(last_, *i + 1);
        return ok(out);
    }
    case Verb::retr:
    case Verb::top: {
        bool alive = true;
        const auto i = number(c.argument, out, alive);
        if (!i)
            return alive;
        return send_message(*i, c.verb == Verb::top ? top_lines(c.argument) : std::nullopt, out);
    }
    case Verb::rset:
        for (auto& m : messages_)
            m.deleted = false;
        last_ = 0;
        return ok(out);
    case Verb::last:
        return out("+OK " + std::to_string(last_) + "\r\n");
    case Verb::noop:
        return ok(out);
    case Verb::capa: // RFC 2449; qmail's qmail-pop3d has no CAPA
        return out("+OK capability list follows\r\nTOP\r\nUIDL\r\n.\r\n");
    case Verb::unknown:
        break;
    }
    return err(out, "unimplemented");
}

} // namespace qm::pop3

#include "qm/inject/wrappers.hpp"

#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/inject/header.hpp"
#include "qm/program.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace qm::inject {

namespace {

Failure usage_failure() {
    return perm("5.3.5", "usage: sendmail " + std::string(sendmail_synopsis));
}

} // namespace

Result<ExecPlan> sendmail_plan(std::string_view progname, std::span<const std::string> args,
                               bool proto_set) {
    bool header_recipients = false; // -t
    std::optional<std::string> sender;
    std::optional<std::string> name;
    enum class Mode { inject, queue_list, smtp } mode = Mode::inject;

    // A hand parser, not qm::program::Options: qmail's sendmail execs at once on -bp or
    // -bs, leaving the words after it unread however they look, and -E and -J take an
    // argument only in their own word, among flags that take one in the next word too.
    size_t i = 0;
    for (; program::at_option_word(args, i); ++i) {
        const std::string& a = args[i];
        for (size_t j = 1; j < a.size(); ++j) {
            const char opt = a[j];
            // Flags with an argument: the rest of this word, else the next word.
            if (std::strchr("efpoBFb", opt)) {
                std::string value;
                if (j + 1 < a.size())
                    value = a.substr(j + 1);
                else if (i + 1 < args.size())
                    value = args[++i];
                else
                    return fail(usage_failure());
                j = a.size();
                switch (opt) {
                case 'f':
                    // Some callers write the sender as a path, "<user@host>".
                    if (value.size() >= 2 && value.front() == '<' && value.back() == '>')
                        value = value.substr(1, value.size() - 2);
                    sender = value;
                    break;
                case 'F':
                    name = value;
                    break;
                case 'b':
                    if (value[0] == 'p')
                        mode = Mode::queue_list;
                    else if (value[0] == 's')
                        mode = Mode::smtp;
                    else if (value[0] != 'm')
                        return fail(usage_failure());
                    break;
                default:
                    break; // -e -p -o -B: qmail has one error mode, one delivery mode
                }
                continue;
            }
            switch (opt) {
            case 't':
                header_recipients = true;
                break;
            case 'E':
            case 'J':
                j = a.size(); // an optional argument in the same word (Sony NEWS-OS)
                break;
            case 'v':
            case 'i':
            case 'm':
            case 'x':
                break;
            default:
                return fail(usage_failure());
            }
        }
        if (mode != Mode::inject)
            break; // qmail execs at once on -bp / -bs
    }

    ExecPlan plan;
    if (mode == Mode::queue_list || (mode == Mode::inject && progname == "mailq")) {
        plan.program = "qmail-qread";
        return plan;
    }
    if (mode == Mode::smtp) {
        plan.program = "qmail-smtpd";
        if (!proto_set)
            plan.set_env = {{"RELAYCLIENT", ""},
                            {"DATABYTES", "0"},
                            {"PROTO", "TCP"},
                            {"TCPLOCALIP", "127.0.0.1"},
                            {"TCPLOCALHOST", "localhost"},
                            {"TCPREMOTEIP", "127.0.0.1"},
                            {"TCPREMOTEHOST", "localhost"},
                            {"TCPREMOTEINFO", "sendmail-bs"}};
        return plan;
    }
    if (progname == "newaliases")
        return fail(perm("5.3.5", "please use fastforward/newaliases instead"));

    plan.program = "qmail-inject";
    plan.args.push_back(header_recipients ? "-H" : "-a");
    if (sender) {
        plan.args.push_back("-f");
        plan.args.push_back(*sender);
        // The From: line follows the envelope sender, without a name or host the
        // caller's environment would have added (netqmail 1.04).
        plan.unset_env = {"QMAILNAME", "MAILNAME", "NAME", "QMAILHOST", "MAILHOST"};
        auto at = sender->rfind('@');
        if (at == std::string::npos) {
            plan.set_env.emplace_back("QMAILUSER", *sender);
        } else {
            plan.set_env.emplace_back("QMAILHOST", sender->substr(at + 1));
            plan.set_env.emplace_back("QMAILUSER", sender->substr(0, at));
        }
    }
    // An explicit -F outlives -f's clean-up (notqmail applies -f last and loses it).
    if (name)
        plan.set_env.emplace_back("MAILNAME", *name);
    plan.args.push_back("--");
    plan.args.insert(plan.args.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    return plan;
}

Failure exec_program(const ExecPlan& plan, const std::string* stdin_data) {
    const std::string path = program_path(plan.program);
    if (::access(path.c_str(), X_OK) != 0)
        return temp("4.3.0",
                    "unable to run " + plan.program + ": " + path + ": " + std::strerror(errno));
    if (stdin_data) {
        // A memory file rather than a pipe: the program may read at its own pace and we
        // need no second process to feed it.
        UniqueFd fd(::memfd_create("message", 0));
        if (!fd)
            return from_errno(errno, "unable to create a memory file");
        if (auto w = write_all(fd.get(), *stdin_data); !w)
            return w.error();
        if (::lseek(fd.get(), 0, SEEK_SET) != 0 || ::dup2(fd.get(), 0) != 0)
            return from_errno(errno, "unable to set up standard input");
    }
    for (const auto& n : plan.unset_env)
        ::unsetenv(n.c_str());
    for (const auto& [k, v] : plan.set_env)
        ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const auto& a : plan.args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    return temp("4.3.0", "unable to run " + path + ": " + std::strerror(errno));
}

std::string local_date_field(std::time_t now) {
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    ::localtime_r(&now, &tm);
    long off = tm.tm_gmtoff / 60;
    const char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    char buf[80];
    std::snprintf(buf, sizeof buf, "Date: %d %s %d %02d:%02d:%02d %c%02ld%02ld\n", tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
                  off / 60, off % 60);
    return buf;
}

std::string add_date_if_missing(std::string_view message, std::time_t now) {
    for (const std::string& f : split_message(message).fields)
        if (field_kind(f) == FieldKind::date)
            return std::string(message);
    return local_date_field(now) + std::string(message);
}

std::string mailsubj_message(std::string_view subject, std::span<const std::string> recipients,
                             std::string_view body) {
    std::string m = "Subject: ";
    for (char c : subject)
        m += (c == '\n' || c == '\r') ? ' ' : c;
    m += "\nTo: ";
    for (size_t i = 0; i < recipients.size(); ++i) {
        if (i)
            m += ", ";
        m += recipients[i];
    }
    m += "\n\n";
    m += body;
    return m;
}

} // namespace qm::inject

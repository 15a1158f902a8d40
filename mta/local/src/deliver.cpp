// qmail-local's main flow (qmail-local(8), dot-qmail(5)), in-process and thread-safe:
// every path is resolved against an open home directory descriptor, the environment
// for programs is a private vector, and nothing reads the caller's file offset.
#include "qm/local/deliver.hpp"

#include "internal.hpp"
#include "qm/address.hpp"
#include "qm/date.hpp"
#include "qm/env.hpp"
#include "qm/home.hpp"
#include "qm/local/dot_qmail.hpp"
#include "qm/queue_client.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>

namespace qm::local {

namespace {

constexpr size_t report_cap = 3000; // qmail-lspawn's truncreport

std::string errtext(int err) {
    return detail::error_text(err);
}

// A found .qmail file.
struct DotQmail {
    std::string name;
    std::string content;
    bool forward_only = false; // the execute bit
    std::optional<size_t> default_from;
};

class Session {
public:
    Session(const Delivery& d, const DeliverOptions& o)
        : d_(d)
        , o_(o) {}

    Verdict run() {
        Status s = deliver_all();
        Verdict r;
        if (s) {
            r.kind = Verdict::Kind::success;
        } else {
            r.kind = s.error().permanent() ? Verdict::Kind::permanent : Verdict::Kind::temporary;
            // A failing program has said what it had to say; qmail-local adds nothing.
            if (!s.error().text.empty()) {
                out_ += s.error().with_dsn();
                out_ += '\n';
            }
        }
        if (size_t nul = out_.find('\0'); nul != std::string::npos)
            out_.resize(nul);
        if (out_.size() > report_cap) {
            // qmail-lspawn's cut: the last bytes kept make room for the notice.
            constexpr std::string_view too_long = "\nError report too long, sorry.\n";
            out_.resize(report_cap - too_long.size() - 3);
            out_ += too_long;
        }
        r.text = std::move(out_);
        return r;
    }

private:
    Status deliver_all();
    Status check_home();
    Result<std::optional<DotQmail>> find_dot_qmail();
    Result<bool> exists(const std::string& name);
    Status compute_new_sender();
    Status follow(const std::vector<Instruction>& lines, bool forward_only);
    Status run_program(const std::string& command);
    Status forward();
    void build_env();

    const Delivery& d_;
    const DeliverOptions& o_;
    UniqueFd home_fd_;
    detail::Lines lines_;
    std::string recipient_, safe_ext_, new_sender_;
    std::optional<std::string> default_;
    std::vector<std::string> env_;
    std::vector<std::string> forwards_;
    unsigned long files_ = 0, forwards_count_ = 0, programs_ = 0;
    bool stop_ = false;
    pid_t qp_ = 0;
    std::string out_;
};

Status Session::check_home() {
    struct stat st {};
    if (::fstat(home_fd_.get(), &st) != 0)
        return fail(temp("4.3.0", "Unable to stat home directory: " + errtext(errno) + "."));
    if (st.st_mode & 002)
        return fail(temp("4.7.0", "Uh-oh: home directory is writable."));
    if (st.st_mode & S_ISVTX) {
        if (!o_.dry_run)
            return fail(
                temp("4.2.1", "Home directory is sticky: user is editing his .qmail file."));
        out_ += "Warning: home directory is sticky.\n";
    }
    return {};
}

Result<bool> Session::exists(const std::string& name) {
    struct stat st {};
    if (::fstatat(home_fd_.get(), name.c_str(), &st, 0) == 0)
        return true;
    if (detail::open_error_is_temporary(errno) && errno != EACCES && errno != EPERM)
        return fail(temp("4.3.0", "Unable to open " + name + ": " + errtext(errno) + "."));
    return false;
}

Result<std::optional<DotQmail>> Session::find_dot_qmail() {
    for (auto& c : search_order(d_.who.dash, d_.who.ext)) {
        // O_NONBLOCK: a FIFO named .qmail-x must not hang the delivery.
        UniqueFd fd(
            ::openat(home_fd_.get(), c.name.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        if (!fd) {
            if (detail::open_error_is_temporary(errno))
                return fail(
                    temp("4.3.0", "Unable to open " + c.name + ": " + errtext(errno) + "."));
            continue;
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0)
            return fail(temp("4.3.0", "Unable to open " + c.name + ": " + errtext(errno) + "."));
        if (!S_ISREG(st.st_mode))
            continue;
        // Stricter than qmail's conf-patrn (002): a .qmail anybody but its owner can
        // change is somebody else's instructions.
        if (st.st_mode & 022)
            return fail(temp("4.7.0", "Uh-oh: .qmail file is writable."));
        DotQmail q;
        q.name = c.name;
        q.forward_only = (st.st_mode & 0100) != 0;
        q.default_from = c.default_from;
        auto content = read_all(fd.get());
        if (!content)
            return fail(
                temp("4.3.0", "Unable to read " + c.name + ": " + content.error().text + "."));
        q.content = std::move(*content);
        return std::optional<DotQmail>(std::move(q));
    }
    return std::optional<DotQmail>{};
}

Status Session::compute_new_sender() {
    new_sender_ = d_.sender;
    // Bounces keep their sender so that a bounce can never loop.
    if (d_.sender.empty() || d_.sender == "#@[]")
        return {};
    const std::string base = ".qmail" + d_.who.dash + safe_ext_ + "-owner";
    auto owner = exists(base);
    if (!owner)
        return fail(owner.error());
    if (!*owner)
        return {};
    auto verp = exists(base + "-default");
    if (!verp)
        return fail(verp.error());
    // "-@[]" asks qmail-send to put each recipient into the sender (VERP).
    new_sender_ =
        *verp ? d_.local + "-owner-@" + d_.domain + "-@[]" : d_.local + "-owner@" + d_.domain;
    return {};
}

void Session::build_env() {
    if (!env_.empty())
        return;
    auto add = [&](const char* k, std::string_view v) {
        std::string e(k);
        e += '=';
        e += v;
        env_.push_back(std::move(e));
    };
    add("USER", d_.who.user);
    add("HOME", d_.who.home);
    add("LOCAL", d_.local);
    add("HOST", d_.domain);
    add("RECIPIENT", recipient_);
    add("DTLINE", lines_.dtline);
    add("SENDER", d_.sender);
    add("RPLINE", lines_.rpline);
    add("UFLINE", lines_.ufline);
    std::string_view x = d_.who.ext;
    add("EXT", x);
    for (const char* k : {"EXT2", "EXT3", "EXT4"}) {
        size_t dash = x.find('-');
        x = dash == std::string_view::npos ? std::string_view{} : x.substr(dash + 1);
        add(k, x);
    }
    std::string_view h = d_.domain;
    for (const char* k : {"HOST2", "HOST3", "HOST4"}) {
        size_t dot = h.rfind('.');
        if (dot != std::string_view::npos)
            h = h.substr(0, dot);
        add(k, h);
    }
    add("NEWSENDER", new_sender_);
    if (default_)
        add("DEFAULT", *default_);
    // What programs need from our own environment: a PATH, the mail root so that our
    // tools (fastforward, ezmlm-*) find the same qmail-queue, and the list programs'
    // clock (QM_LISTS_NOW), which tests of cookie expiry and bounce cycles set.
    add("QMAILHOME", qmail_home());
    for (const char* k : {"PATH", "QMAILQUEUE", "TZ", "QM_LISTS_NOW"})
        if (auto v = qm::env(k))
            add(k, *v);
}

Status Session::run_program(const std::string& command) {
    build_env();
    auto in = detail::fresh_message_fd(d_.message_fd);
    if (!in)
        return fail(temp("4.3.0", "Unable to rewind message."));
    auto r = detail::run_program(d_.who.home, command, env_, in->get());
    if (!r)
        return fail(r.error());
    out_ += r->output;
    switch (r->outcome) {
    case ChildOutcome::success:
        return {};
    case ChildOutcome::success_stop:
        stop_ = true;
        return {};
    case ChildOutcome::permanent:
        return fail(perm("", ""));
    case ChildOutcome::temporary:
        return fail(temp("", ""));
    case ChildOutcome::crashed:
        break;
    }
    return fail(temp("4.3.0", "Aack, child crashed."));
}

Status Session::follow(const std::vector<Instruction>& lines, bool forward_only) {
    using Kind = Instruction::Kind;
    for (const auto& in : lines) {
        switch (in.kind) {
        case Kind::comment:
        case Kind::ignored:
            break;
        case Kind::forward_only:
            forward_only = true;
            break;
        case Kind::mbox:
        case Kind::maildir: {
            ++files_;
            if (forward_only)
                return fail(temp("4.7.0", "Uh-oh: .qmail has file delivery but has x bit set."));
            if (o_.dry_run) {
                out_ += *describe(in) + "\n";
                break;
            }
            const std::string rcpt = d_.local + "@" + d_.domain;
            const detail::StableName stable{d_.journal_id, files_, rcpt};
            Status s =
                in.kind == Kind::maildir
                    ? detail::deliver_maildir(home_fd_.get(), in.target, lines_, d_.message_fd,
                                              d_.journal_id != 0 ? &stable : nullptr)
                    : detail::deliver_mbox(home_fd_.get(), in.target, lines_, d_.message_fd);
            if (!s)
                return s;
            break;
        }
        case Kind::program:
            ++programs_;
            if (forward_only)
                return fail(temp("4.7.0", "Uh-oh: .qmail has prog delivery but has x bit set."));
            if (o_.dry_run) {
                out_ += *describe(in) + "\n";
                break;
            }
            if (auto s = run_program(in.target); !s)
                return s;
            break;
        case Kind::forward:
            ++forwards_count_;
            if (o_.dry_run)
                out_ += *describe(in) + "\n";
            else
                forwards_.push_back(in.target);
            break;
        }
        if (stop_)
            break;
    }
    return {};
}

Status Session::forward() {
    auto in = detail::fresh_message_fd(d_.message_fd);
    if (!in)
        return fail(temp("4.3.0", "Unable to rewind message."));
    Envelope env{new_sender_, forwards_};
    auto q = queue_message_fd(lines_.dtline, in->get(), env);
    if (!q) {
        Failure f = q.error();
        f.text = "Unable to forward message: " + f.with_dsn() + ".";
        f.dsn.clear();
        return fail(std::move(f));
    }
    qp_ = q->qp;
    return {};
}

Status Session::deliver_all() {
    const Recipient& who = d_.who;
    if (who.home.empty() || who.home.front() != '/')
        return fail(temp("4.3.0", "Home directory is not an absolute path: " + who.home + "."));
    // O_PATH: like qmail's chdir(), this needs search permission only, not read.
    home_fd_.reset(::open(who.home.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!home_fd_)
        return fail(temp("4.3.0", "Unable to switch to " + who.home + ": " + errtext(errno) + "."));
    if (auto s = check_home(); !s)
        return s;

    recipient_ = d_.local + "@" + d_.domain;
    lines_.dtline = "Delivered-To: " + recipient_;
    for (char& c : lines_.dtline)
        if (c == '\n')
            c = '_';
    lines_.dtline += '\n';

    if (!o_.dry_run) {
        auto looping = detail::header_has_line(d_.message_fd, lines_.dtline);
        if (!looping)
            return fail(looping.error());
        if (*looping)
            return fail(
                perm("5.4.6", "This message is looping: it already has my Delivered-To line."));
    }

    lines_.rpline = address::return_path_line(d_.sender);
    lines_.ufline = "From ";
    if (d_.sender.empty()) {
        lines_.ufline += "MAILER-DAEMON";
    } else {
        for (char c : d_.sender)
            lines_.ufline += (c == ' ' || c == '\t' || c == '\n') ? '-' : c;
    }
    lines_.ufline += ' ';
    lines_.ufline += mbox_ctime(std::time(nullptr));

    safe_ext_ = safe_ext(who.ext);
    auto found = find_dot_qmail();
    if (!found)
        return fail(found.error());
    if (!*found && !who.dash.empty())
        return fail(perm("5.1.1", "Sorry, no mailbox here by that name."));
    if (*found && (*found)->default_from && *(*found)->default_from <= who.ext.size())
        default_ = who.ext.substr(*(*found)->default_from);

    if (auto s = compute_new_sender(); !s)
        return s;

    // No file, or an empty one, means the system's default delivery (qmail-start's
    // argument); the execute bit does not apply to it.
    std::string_view content;
    bool forward_only = false;
    if (*found && !(*found)->content.empty()) {
        content = (*found)->content;
        forward_only = (*found)->forward_only;
    } else {
        content = d_.default_delivery;
    }
    auto lines = parse_dot_qmail(content);
    if (!lines)
        return fail(lines.error());
    if (auto s = follow(*lines, forward_only); !s)
        return s;

    if (!forwards_.empty())
        if (auto s = forward(); !s)
            return s;

    out_ += "did " + std::to_string(files_) + "+" + std::to_string(forwards_count_) + "+" +
            std::to_string(programs_) + "\n";
    if (qp_)
        out_ += "qp " + std::to_string(qp_) + "\n";
    return {};
}

} // namespace

Verdict deliver(const Delivery& d, const DeliverOptions& opts) {
    return Session(d, opts).run();
}

Verdict deliver(const Delivery& d) {
    return deliver(d, DeliverOptions{});
}

} // namespace qm::local

#include "qm/tools/show_controls.hpp"

#include "qm/queue/layout.hpp"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

namespace qm::tools {

namespace {

// A control file as qmail's control.c reads it: nullopt when it does not exist.
struct Read {
    bool trouble = false;
    std::optional<std::vector<std::string>> lines; // blank and '#' lines skipped
    std::optional<std::string> first;              // first line as is, trailing blanks cut
};

void strip_trailing_blanks(std::string& s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.pop_back();
}

Read read_control(const std::string& path) {
    Read r;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        r.trouble = errno != ENOENT;
        return r;
    }
    std::ostringstream all;
    all << in.rdbuf();
    if (in.bad()) {
        r.trouble = true;
        return r;
    }
    const std::string data = all.str();
    std::vector<std::string> lines;
    bool first = true;
    for (size_t pos = 0; pos < data.size();) {
        const size_t nl = std::min(data.find('\n', pos), data.size());
        std::string line = data.substr(pos, nl - pos);
        pos = nl + 1;
        strip_trailing_blanks(line);
        if (first) {
            r.first = line;
            first = false;
        }
        if (!line.empty() && line[0] != '#')
            lines.push_back(std::move(line));
    }
    r.lines = std::move(lines);
    return r;
}

std::string safe(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126)
            c = '?';
    return out;
}

class Report {
public:
    Report(std::string control, std::optional<std::string> me)
        : dir_(std::move(control))
        , me_(std::move(me)) {}

    // Starts fn's entry and reads it; nullopt (and the Oops line) when it cannot be read.
    std::optional<Read> begin(const std::string& fn) {
        shown_.insert(fn);
        out_ += "\n" + fn + ": ";
        Read r = read_control(dir_ + "/" + fn);
        if (!r.trouble)
            return r;
        out_ += "Oops! Trouble reading this file.\n";
        return std::nullopt;
    }

    void integer(const std::string& fn, const std::string& def, const std::string& pre,
                 const std::string& post) {
        const auto read = begin(fn);
        if (!read)
            return;
        const Read& r = *read;
        if (!r.first || r.first->empty()) {
            out_ += "(Default.) " + pre + def + post + ".\n";
            return;
        }
        unsigned long v = 0;
        const std::string& s = *r.first;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size()) {
            // qmail would quietly take the default; our programs stop with an error
            // naming the file.
            out_ += "Oops! Not a number (" + safe(s) +
                    "): the programs that read this file stop with an error.\n";
            return;
        }
        out_ += pre + std::to_string(v) + post + ".\n";
    }

    // flag_me: the default is control/me when there is one.
    void line(const std::string& fn, bool flag_me, const std::string& def, const std::string& pre) {
        shown_.insert(fn);
        out_ += "\n" + fn + ": ";
        const Read r = read_control(dir_ + "/" + fn);
        if (r.trouble) {
            out_ += "Oops! Trouble reading this file.\n";
            return;
        }
        if (!r.first) {
            out_ += "(Default.) " + pre + safe(flag_me && me_ ? *me_ : def) + ".\n";
            return;
        }
        out_ += pre + safe(*r.first) + ".\n";
    }

    // True when the file exists.
    bool list(const std::string& fn, const std::string& def, const std::string& pre,
              const std::string& post) {
        const auto read = begin(fn);
        if (!read)
            return false;
        const Read& r = *read;
        if (!r.lines) {
            out_ += "(Default.) " + def + "\n";
            return false;
        }
        out_ += "\n";
        for (const auto& l : *r.lines)
            out_ += pre + safe(l) + post + "\n";
        return true;
    }

    void text(const std::string& fn, const std::string& what) {
        shown_.insert(fn);
        out_ += "\n" + fn + ": " + what + "\n";
    }
    [[nodiscard]] bool exists(const std::string& fn) const {
        struct stat st {};
        return ::stat((dir_ + "/" + fn).c_str(), &st) == 0;
    }
    [[nodiscard]] std::optional<struct timespec> mtime(const std::string& fn) const {
        struct stat st {};
        if (::stat((dir_ + "/" + fn).c_str(), &st) != 0)
            return std::nullopt;
        return st.st_mtim;
    }
    void unknown(const std::string& fn) {
        if (!shown_.contains(fn))
            out_ += "\n" + fn + ": I have no idea what this file does.\n";
    }
    void skip(const std::string& fn) { shown_.insert(fn); }
    std::string& out() { return out_; }

private:
    std::string dir_;
    std::optional<std::string> me_;
    std::set<std::string> shown_;
    std::string out_;
};

std::string id_of_user(const char* name) {
    const passwd* pw = ::getpwnam(name);
    return pw ? std::to_string(pw->pw_uid) : std::string("none");
}

std::string id_of_group(const char* name) {
    const group* gr = ::getgrnam(name);
    return gr ? std::to_string(gr->gr_gid) : std::string("none");
}

} // namespace

ControlReport show_controls(const std::string& home) {
    ControlReport rep;
    std::string& o = rep.text;
    o += "qmail home directory: " + home + ".\n";
    o += "user-ext delimiter: -.\n";
    o += "paternalism (in decimal): 2.\n";
    o += "silent concurrency limit: 120.\n";
    o += "subdirectory split: " + std::to_string(queue::split) + ".\n";
    // qmail's order: alias, qmaild, qmaill, root, qmailp, qmailq, qmailr, qmails. In
    // normal-user mode they need not exist ("none").
    std::string users;
    for (const char* u :
         {"alias", "qmaild", "qmaill", "root", "qmailp", "qmailq", "qmailr", "qmails"})
        users += (users.empty() ? "" : ", ") + id_of_user(u);
    o += "user ids: " + users + ".\n";
    o += "group ids: " + id_of_group("nofiles") + ", " + id_of_group("qmail") + ".\n";

    const std::string control = home + "/control";
    DIR* d = ::opendir(control.c_str());
    if (d == nullptr) {
        o += "Oops! Unable to open " + control + ".\n";
        rep.complete = false;
        return rep;
    }
    const Read me_file = read_control(control + "/me");
    if (me_file.trouble) {
        ::closedir(d);
        o += "Oops! Trouble reading control/me.";
        rep.complete = false;
        return rep;
    }
    Report r(control, me_file.first);

    // qmail-showctl's own list, order and wording.
    r.list("badmailfrom", "Any MAIL FROM is allowed.", "", " not accepted in MAIL FROM.");
    r.line("bouncefrom", false, "MAILER-DAEMON", "Bounce user name is ");
    r.line("bouncehost", true, "bouncehost", "Bounce host name is ");
    r.integer("concurrencylocal", "10", "Local concurrency is ", "");
    r.integer("concurrencyremote", "20", "Remote concurrency is ", "");
    r.integer("databytes", "0", "SMTP DATA limit is ", " bytes");
    r.line("defaultdomain", true, "defaultdomain", "Default domain name is ");
    r.line("defaulthost", true, "defaulthost", "Default host name is ");
    r.line("doublebouncehost", true, "doublebouncehost", "2B recipient host: ");
    r.line("doublebounceto", false, "postmaster", "2B recipient user: ");
    r.line("envnoathost", true, "envnoathost", "Presumed domain name is ");
    r.line("helohost", true, "helohost", "SMTP client HELO host name is ");
    r.line("idhost", true, "idhost", "Message-ID host name is ");
    r.line("localiphost", true, "localiphost", "Local IP address becomes ");
    r.list("locals", "Messages for me are delivered locally.", "Messages for ",
           " are delivered locally.");
    r.line("me", false, "undefined! Uh-oh", "My name is ");
    r.list("percenthack", "The percent hack is not allowed.",
           "The percent hack is allowed for user%host@", ".");
    r.line("plusdomain", true, "plusdomain", "Plus domain name is ");
    r.list("qmqpservers", "No QMQP servers.", "QMQP server: ", ".");
    r.integer("queuelifetime", "604800", "Message lifetime in the queue is ", " seconds");
    // Unlike qmail, no rcpthosts does not mean "any recipient": only what qmail-send
    // delivers here is accepted (qmail-smtpd(8)).
    if (r.list("rcpthosts",
               "SMTP clients may send messages to recipients that are delivered here "
               "(locals, virtualdomains).",
               "SMTP clients may send messages to recipients at ", "."))
        r.list("morercpthosts", "No effect.", "SMTP clients may send messages to recipients at ",
               ".");
    else
        r.list("morercpthosts", "No rcpthosts; morercpthosts is irrelevant.",
               "No rcpthosts; doesn't matter that morercpthosts has ", ".");
    {
        const auto text = r.mtime("morercpthosts");
        const auto cdb = r.mtime("morercpthosts.cdb");
        std::string what;
        if (!text)
            what = cdb ? "Oops! morercpthosts.cdb exists but morercpthosts doesn't."
                       : "(Default.) No effect.";
        else if (!cdb)
            what = "Oops! morercpthosts exists but morercpthosts.cdb doesn't.";
        else if (text->tv_sec > cdb->tv_sec)
            what = "Oops! morercpthosts.cdb is older than morercpthosts.";
        else
            what = "Modified recently enough; hopefully up to date.";
        r.text("morercpthosts.cdb", what);
    }
    r.line("smtpgreeting", true, "smtpgreeting", "SMTP greeting: 220 ");
    r.list("smtproutes", "No artificial SMTP routes.", "SMTP route: ", "");
    r.integer("timeoutconnect", "60", "SMTP client connection timeout is ", " seconds");
    r.integer("timeoutremote", "1200", "SMTP client data timeout is ", " seconds");
    r.integer("timeoutsmtpd", "1200", "SMTP server data timeout is ", " seconds");
    r.list("virtualdomains", "No virtual domains.", "Virtual domain: ", "");

    // This platform's own control files (qmail-control(5)).
    r.list("dnsservers", "DNS servers from /etc/resolv.conf.", "DNS server: ", ".");
    r.integer("greetdelay", "0", "SMTP greeting delay is ", " seconds");
    r.integer("journal", "0", "Queue journal (qmail-journald; 0 is a flush per queue file) is ",
              "");
    r.integer("maxrcpt", "1000", "SMTP recipients per message at most ", "");
    r.integer("maxrcptsession", "100000", "SMTP recipients per connection at most ", "");
    r.integer("qmtpport", "209", "QMTP port is ", "");
    r.list("qmtproutes", "No artificial QMTP routes.", "QMTP route: ", "");
    r.text("servercert.pem", r.exists("servercert.pem")
                                 ? "STARTTLS and STLS are offered with this certificate and key."
                                 : "(Default.) No STARTTLS or STLS offered.");

    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..")
            names.push_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
        r.unknown(n);
    o += r.out();
    return rep;
}

} // namespace qm::tools

#include "qm/dkim/signer.hpp"

#include "qm/control.hpp"
#include "qm/dkim/arc.hpp"
#include "qm/dkim/sign.hpp"
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/inject/address_list.hpp"
#include "qm/mailauth/authentication_results.hpp"
#include "qm/netstring.hpp"
#include "qm/process.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>

namespace qm::dkim {

namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size())
        return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c + ('a' - 'A'));
        if (c != prefix[i])
            return false;
    }
    return true;
}

// The domain after the last '@' of an address, up to what cannot be in one.
std::string domain_of(std::string_view address) {
    const size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return {};
    std::string_view d = address.substr(at + 1);
    const size_t end = d.find_first_of(">) \t\r\n,;\"");
    if (end != std::string_view::npos)
        d = d.substr(0, end);
    return std::string(d);
}

} // namespace

std::string from_domain(std::string_view message) {
    size_t pos = 0;
    while (pos < message.size()) {
        const size_t nl = message.find('\n', pos);
        const size_t end = nl == std::string_view::npos ? message.size() : nl;
        std::string_view line = message.substr(pos, end - pos);
        if (line.empty() || line == "\r")
            return {}; // the end of the header: no From
        pos = end + 1;
        if (!starts_with_nocase(line, "from:"))
            continue;
        // The field with its continuation lines.
        std::string field(line.substr(5));
        while (pos < message.size() && (message[pos] == ' ' || message[pos] == '\t')) {
            const size_t more = message.find('\n', pos);
            const size_t stop = more == std::string_view::npos ? message.size() : more;
            field.append(" ").append(message.substr(pos, stop - pos));
            pos = stop + 1;
        }
        // The first address of the field, parsed as qmail-inject parses address lists
        // (quotes, comments, groups); nothing when it does not parse.
        auto addresses = inject::parse_address_list(field);
        if (!addresses || addresses->empty())
            return {};
        return domain_of(addresses->front().address);
    }
    return {};
}

namespace {

// Writes all of data to a socket; a peer that is gone is an error, not a SIGPIPE.
bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

// Reads one netstring from fd into payload (buffer keeps what came after it); false at the
// end of input or on a malformed one.
bool read_netstring(int fd, std::string& buffer, std::string& payload) {
    char buf[65536];
    for (;;) {
        auto decoded = netstring::decode(buffer);
        if (!decoded)
            return false;
        if (*decoded) {
            payload.assign((*decoded)->payload);
            buffer.erase(0, (*decoded)->consumed);
            return true;
        }
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buffer.append(buf, static_cast<size_t>(n));
    }
}

} // namespace

SigningHelper::~SigningHelper() {
    stop();
}

Status SigningHelper::start() {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
        return fail(from_errno(errno, "unable to make a socket pair for dkim-sign"));
    UniqueFd ours(sp[0]);
    UniqueFd theirs(sp[1]);
    Spawn s;
    s.argv = {program_path("dkim-sign"), "--serve", std::to_string(limit_)};
    s.fds = {{theirs.get(), 0}, {theirs.get(), 1}, {STDERR_FILENO, 2}};
    s.close_others = true;
    const auto pid = spawn(s);
    if (!pid)
        return fail(unable_to_run("dkim-sign", pid.error()));
    pid_ = *pid;
    fd_ = ours.release();
    served_ = 0;
    ++started_;
    return {};
}

void SigningHelper::stop() {
    if (fd_ >= 0)
        ::close(fd_); // the helper reads the end of its input and exits
    fd_ = -1;
    if (pid_ > 0)
        (void)wait_for(pid_);
    pid_ = -1;
}

Result<std::string> SigningHelper::sign(std::string_view message, const SigningKey& key,
                                        const std::string& key_path) {
    const std::lock_guard lock(mutex_);
    const std::string request = netstring::encode(key.domain) + netstring::encode(key.selector) +
                                netstring::encode(key_path) + netstring::encode(message);
    // Twice at most: a helper that died (killed, or out of memory) is replaced once.
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (served_ >= limit_)
            stop(); // it has ended after its last request
        if (fd_ < 0)
            if (auto started = start(); !started)
                return fail(started.error());
        std::string buffer;
        std::string answer;
        if (!send_all(fd_, request) || !read_netstring(fd_, buffer, answer)) {
            stop();
            continue;
        }
        ++served_;
        if (answer.starts_with('K'))
            return answer.substr(1);
        const std::string text = "dkim-sign: " + answer.substr(std::min<size_t>(1, answer.size()));
        return fail(answer.starts_with('D') ? perm("5.3.5", text) : temp("4.3.0", text));
    }
    return fail(temp("4.3.0", "dkim-sign ended without answering"));
}

int serve_signing_requests(int in, int out, unsigned limit) {
    std::map<std::string, Result<SigningKey>> keys; // by file, read once
    std::string buffer;
    for (unsigned served = 0; served < limit; ++served) {
        std::string fields[4];
        for (auto& f : fields)
            if (!read_netstring(in, buffer, f))
                return 0; // the end of the requests
        auto found = keys.find(fields[2]);
        if (found == keys.end())
            found =
                keys.emplace(fields[2], load_signing_key(fields[0], fields[1], fields[2])).first;
        std::string answer;
        if (!found->second) {
            answer = (found->second.error().permanent() ? "D" : "Z") + found->second.error().text;
        } else {
            SigningKey key = *found->second;
            key.domain = fields[0];
            key.selector = fields[1];
            auto field = signature(fields[3], key);
            answer =
                field ? "K" + *field : (field.error().permanent() ? "D" : "Z") + field.error().text;
        }
        // write(), not send(): the answers may go to a pipe or a file (a test, a bench).
        if (!write_all(out, netstring::encode(answer)))
            return 111;
    }
    return 0;
}

namespace {

// A control file's first line as qm::control reads it (trailing blanks removed); nullopt
// when the file is missing or empty.
Result<std::optional<std::string>> first_line(const std::string& path) {
    auto text = read_file(path);
    if (!text) {
        if (errno == ENOENT)
            return std::optional<std::string>{};
        return fail(
            temp("4.3.0", "unable to read control file " + path + ": " + text.error().text));
    }
    std::string line = text->substr(0, text->find('\n'));
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
        line.pop_back();
    if (line.empty())
        return std::optional<std::string>{};
    return std::optional<std::string>{std::move(line)};
}

// Whether control/authcheck has the word "arc" on a line of its own: the admin's choice
// to seal, made with the check on arrival that gives the seal its cv=. (Its other words
// and its errors are qmail-smtpd's business, qm/mailauth/inbound.hpp.)
Result<bool> arc_checked(const std::string& path) {
    auto text = read_file(path);
    if (!text) {
        if (errno == ENOENT)
            return false;
        return fail(
            temp("4.3.0", "unable to read control file " + path + ": " + text.error().text));
    }
    for (const auto& line : control::meaningful_lines(*text)) {
        if (line.text == "arc")
            return true;
    }
    return false;
}

} // namespace

Result<Signer> Signer::load(const std::string& control_dir) {
    const std::string path = control_dir + "/dkimkeys";
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return Signer{};
        return fail(from_errno(errno, "unable to open " + path));
    }
    auto text = read_all(fd.get());
    if (!text)
        return fail(from_errno(errno, "unable to read " + path));
    auto entries = parse_dkimkeys(*text, path);
    if (!entries)
        return fail(entries.error());
    Sealing sealing;
    // Sealing vouches for our Authentication-Results field to the world, and a local user
    // can put a field with our name into a message (qmail-inject, qmail-queue): only an
    // admin who asked for ARC gets seals (see qmail-control(5), authcheck).
    auto arc = arc_checked(control_dir + "/authcheck");
    if (!arc)
        return fail(arc.error());
    for (const char* name : {"/authservid", "/me"}) {
        if (!*arc)
            break;
        auto id = first_line(control_dir + name);
        if (!id)
            return fail(id.error());
        if (*id) {
            sealing.authserv_id = std::move(**id);
            break;
        }
    }
    auto dns = dns::load_config();
    if (!dns)
        return fail(dns.error());
    sealing.dns = std::move(*dns);
    return from_entries(std::move(*entries), control_dir, std::move(sealing));
}

Result<Signer> Signer::from_entries(std::vector<KeyEntry> entries, const std::string& control_dir,
                                    Sealing sealing) {
    Signer s;
    s.sealing_ = std::move(sealing);
    s.helper_ = std::make_shared<SigningHelper>();
    for (auto& e : entries) {
        const std::string path =
            e.key_file.starts_with('/') ? e.key_file : control_dir + "/" + e.key_file;
        // A ".example.org" entry signs the domains under example.org as example.org
        // (d=example.org): DMARC's relaxed alignment takes the organizational domain, and
        // the record is published once, not per subdomain.
        const std::string d = e.domain.starts_with('.') ? e.domain.substr(1) : e.domain;
        auto key = load_signing_key(d, e.selector, path);
        if (!key) {
            Failure f = key.error();
            f.severity = Severity::temporary; // the admin's to fix; mail waits meanwhile
            return fail(f);
        }
        s.keys_.push_back(std::move(*key));
        s.paths_.push_back(path);
        s.entries_.push_back(std::move(e));
    }
    return s;
}

Result<std::string> Signer::sign(std::string_view message, std::string_view envelope_sender) const {
    if (keys_.empty())
        return std::string();
    std::string domain = from_domain(message);
    auto chosen = entries_for(entries_, domain);
    if (chosen.empty()) {
        domain = domain_of(envelope_sender);
        chosen = entries_for(entries_, domain);
    }
    std::string fields;
    const SigningKey* sealer = nullptr; // the domain's first RSA key
    for (const auto& e : chosen) {
        for (size_t i = 0; i < entries_.size(); ++i) {
            if (entries_[i].domain != e.domain || entries_[i].selector != e.selector)
                continue;
            const bool rsa = keys_[i].algorithm == Algorithm::rsa_sha256;
            auto sig =
                rsa ? signature(message, keys_[i]) : helper_->sign(message, keys_[i], paths_[i]);
            if (!sig)
                return fail(sig.error());
            fields += *sig;
            if (rsa && sealer == nullptr)
                sealer = &keys_[i];
            break;
        }
    }
    // Only mail checked here as it came in is sealed: our users' own mail has no such
    // field, and a sealer vouches for what its field says.
    if (sealer == nullptr || sealing_.authserv_id.empty() ||
        mailauth::forged_results(message, sealing_.authserv_id).empty())
        return fields;
    // The set covers the DKIM signatures just made (RFC 8617 5.1: every change before
    // the seal).
    auto set = arc_seal(fields + std::string(message), *sealer, sealing_.authserv_id,
                        dns_lookup(sealing_.dns));
    if (!set)
        return fail(set.error());
    return *set + fields;
}

} // namespace qm::dkim

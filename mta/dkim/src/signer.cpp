#include "qm/dkim/signer.hpp"

#include "qm/dkim/sign.hpp"
#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/inject/address_list.hpp"
#include "qm/process.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

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

Result<std::string> signature_by_helper(std::string_view message, const SigningKey& key,
                                        const std::string& key_path) {
    // The message on a memfd, the signature back through a pipe.
    UniqueFd in(::memfd_create("dkim-sign", MFD_CLOEXEC));
    if (!in || !write_all(in.get(), message) || ::lseek(in.get(), 0, SEEK_SET) != 0)
        return fail(from_errno(errno, "unable to hand the message to dkim-sign"));
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return fail(from_errno(errno, "unable to open a pipe to dkim-sign"));
    UniqueFd out_read(p[0]);
    UniqueFd out_write(p[1]);
    Spawn s;
    s.argv = {program_path("dkim-sign"), key.domain, key.selector, key_path};
    s.fds = {{in.get(), 0}, {out_write.get(), 1}, {STDERR_FILENO, 2}};
    s.close_others = true;
    const auto pid = spawn(s);
    if (!pid)
        return fail(unable_to_run("dkim-sign", pid.error()));
    out_write.reset();
    auto fields = read_all(out_read.get());
    const auto status = wait_for(*pid);
    if (!status)
        return fail(status.error());
    const auto code = exit_code_of(*status);
    if (!fields || !code || *code != 0) {
        const bool permanent = code && *code == 100;
        return fail(permanent ? perm("5.3.5", "dkim-sign refused " + key_path)
                              : temp("4.3.0", "dkim-sign failed with " + key_path));
    }
    return std::move(*fields);
}

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
    return from_entries(std::move(*entries), control_dir);
}

Result<Signer> Signer::from_entries(std::vector<KeyEntry> entries, const std::string& control_dir) {
    Signer s;
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
    for (const auto& e : chosen) {
        for (size_t i = 0; i < entries_.size(); ++i) {
            if (entries_[i].domain != e.domain || entries_[i].selector != e.selector)
                continue;
            auto sig = keys_[i].algorithm == Algorithm::ed25519_sha256
                           ? signature_by_helper(message, keys_[i], paths_[i])
                           : signature(message, keys_[i]);
            if (!sig)
                return fail(sig.error());
            fields += *sig;
            break;
        }
    }
    return fields;
}

} // namespace qm::dkim

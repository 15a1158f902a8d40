// dkim-keygen: a DKIM key pair for a domain and selector, and the TXT record to publish.
#include "qm/control.hpp"
#include "qm/dkim/keys.hpp"
#include "qm/fd.hpp"
#include "qm/program.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <string>

namespace {

constexpr std::string_view help =
    "usage: dkim-keygen [--ed25519 | --bits N] DOMAIN SELECTOR\n"
    "Makes a DKIM private key in $QMAILHOME/control/dkim/DOMAIN.SELECTOR.key (mode 0600; as\n"
    "root, owned by qmailr, who signs) - RSA of N bits (default 2048, at least 1024), or\n"
    "Ed25519 (RFC 8463) - and prints the TXT record to publish at\n"
    "SELECTOR._domainkey.DOMAIN and the control/dkimkeys line that starts the signing.\n"
    "Add that line once the record is in DNS: mail signed before it cannot be verified.\n"
    "To rotate, make a key with a new selector, publish it, add its line beside the old\n"
    "one (both sign), and remove the old line and record some days later.\n"
    "An existing key file is never overwritten (exit 100).\n";

// The record as a zone file wants it: strings of at most 255 characters.
std::string zone_line(const std::string& domain, const std::string& selector,
                      const std::string& txt) {
    std::string line = selector + "._domainkey." + domain + ". IN TXT (";
    for (size_t i = 0; i < txt.size(); i += 250)
        line += " \"" + txt.substr(i, 250) + "\"";
    return line + " )\n";
}

} // namespace

int main(int argc, char** argv) {
    return qm::program::run({"dkim-keygen", help}, argc, argv, [](qm::program::Words args) {
        constexpr std::string_view synopsis = "[--ed25519 | --bits N] DOMAIN SELECTOR";
        auto algorithm = qm::dkim::Algorithm::rsa_sha256;
        unsigned bits = 2048;
        size_t i = 0;
        for (; i < args.size() && args[i].starts_with("--"); ++i) {
            if (args[i] == "--ed25519") {
                algorithm = qm::dkim::Algorithm::ed25519_sha256;
            } else if (args[i] == "--bits" && i + 1 < args.size()) {
                const std::string& n = args[++i];
                const auto r = std::from_chars(n.data(), n.data() + n.size(), bits);
                if (r.ec != std::errc() || r.ptr != n.data() + n.size() || bits < 1024 ||
                    bits > 8192)
                    return qm::program::usage("dkim-keygen", synopsis,
                                              qm::perm("5.3.5", "--bits: 1024 to 8192"));
            } else {
                return qm::program::usage("dkim-keygen", synopsis);
            }
        }
        if (args.size() - i != 2)
            return qm::program::usage("dkim-keygen", synopsis);
        const std::string domain = args[i];
        const std::string selector = args[i + 1];
        // The same checks as control/dkimkeys makes of its lines.
        auto line = qm::dkim::parse_dkimkeys(domain + ":" + selector + ":k", "the arguments");
        if (!line || domain.find('/') != std::string::npos || domain.starts_with('.'))
            return qm::program::usage("dkim-keygen", synopsis,
                                      qm::perm("5.3.5", "not a domain and a selector"));
        const std::string dir = qm::control::path("dkim");
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
            return qm::program::fatal("dkim-keygen",
                                      qm::from_errno(errno, "unable to create " + dir));
        const std::string name = "dkim/" + line->front().domain + "." + selector + ".key";
        const std::string path = qm::control::path(name);
        auto pair = qm::dkim::generate_key(algorithm, bits);
        if (!pair)
            return qm::program::fatal("dkim-keygen", pair.error());
        const qm::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd) {
            if (errno == EEXIST)
                return qm::program::fatal("dkim-keygen", path + " exists; choose another selector",
                                          100);
            return qm::program::fatal("dkim-keygen",
                                      qm::from_errno(errno, "unable to create " + path));
        }
        if (auto w = qm::write_all(fd.get(), pair->private_pem); !w)
            return qm::program::fatal("dkim-keygen", w.error());
        if (auto s = qm::fsync_fd(fd.get(), path); !s)
            return qm::program::fatal("dkim-keygen", s.error());
        // Remote delivery signs, as qmailr in root mode: the key is its alone.
        if (::geteuid() == 0) {
            const passwd* pw = ::getpwnam("qmailr");
            if (pw == nullptr || ::fchown(fd.get(), pw->pw_uid, pw->pw_gid) != 0)
                qm::program::warning("dkim-keygen", "unable to give " + path +
                                                        " to qmailr; remote delivery cannot "
                                                        "read it until it is");
        }
        std::string out = "# Publish this TXT record:\n" +
                          zone_line(line->front().domain, selector, pair->txt) +
                          "# Then add this line to " + qm::control::path("dkimkeys") + ":\n" +
                          line->front().domain + ":" + selector + ":" + name + "\n";
        if (!qm::write_all(STDOUT_FILENO, out))
            return qm::program::fatal("dkim-keygen", "unable to write output", 111);
        return 0;
    });
}

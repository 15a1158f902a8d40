// OpenDKIM as the verifying peer: dkim-keygen run in a mail root (its record and its
// control/dkimkeys line), the record as dnsmasq serves it, and opendkim-testmsg's verdict
// on a message with the records in DNS: dnsmasq on port 53 of a private network namespace
// whose resolv.conf points at it (unshare -n -m; needs root, callers skip otherwise).
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

namespace qmtest {

struct Made {
    std::string txt;  // the record's text, its strings joined
    std::string line; // the control/dkimkeys line
    std::vector<std::string> strings;
};

inline Made keygen(const qmtest::MailRoot& root, const std::vector<std::string>& args) {
    std::vector<std::string> argv{qmtest::bin("dkim-keygen")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = root.run(argv);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    Made m;
    std::smatch record;
    REQUIRE(std::regex_search(r.out, record,
                              std::regex("\\._domainkey\\.[a-z.]+\\. IN TXT \\(([^)]*)\\)\n")));
    const std::string quoted = record[1];
    const std::regex string_re("\"([^\"]*)\"");
    for (auto it = std::sregex_iterator(quoted.begin(), quoted.end(), string_re);
         it != std::sregex_iterator(); ++it) {
        m.strings.push_back((*it)[1]);
        m.txt += (*it)[1];
    }
    std::smatch line;
    REQUIRE(std::regex_search(r.out, line, std::regex("\n([a-z.]+:[a-z0-9]+:dkim/[^\n]+)\n$")));
    m.line = line[1];
    return m;
}

// dnsmasq's option for a record: strings of at most 255 bytes, comma-separated.
inline std::string dnsmasq_txt(const std::string& name, const Made& m) {
    std::string option = "--txt-record=" + name;
    for (const auto& s : m.strings)
        option += "," + s;
    return option;
}

inline bool can_make_namespaces() {
    return ::geteuid() == 0 &&
           qmtest::run({"/usr/bin/unshare", "-n", "-m", "/bin/true"}).exit_code == 0;
}

// opendkim-testmsg's verdict on message, with records served by DNS in a namespace.
inline qmtest::RunResult testmsg(const qmtest::TempDir& dir,
                                 const std::vector<std::string>& records,
                                 const std::string& message) {
    qmtest::spit(dir / "resolv.conf", "nameserver 127.0.0.1\n");
    qmtest::spit(dir / "message", message);
    std::string dnsmasq = "/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null "
                          "--port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv "
                          "--no-hosts --log-facility=- --log-queries";
    for (const auto& r : records)
        dnsmasq += " '" + r + "'";
    const std::string script = "ip link set lo up && mount --bind '" + (dir / "resolv.conf") +
                               "' /etc/resolv.conf || exit 90\n" + dnsmasq + " 2> '" +
                               (dir / "dns.log") +
                               "' &\n"
                               "for i in $(seq 100); do grep -q 'cleared cache' '" +
                               (dir / "dns.log") +
                               "' && break; sleep 0.05; done\n"
                               "/usr/sbin/opendkim-testmsg < '" +
                               (dir / "message") + "'\nrc=$?\nkill $!\nexit $rc\n";
    return qmtest::run({"/usr/bin/unshare", "-n", "-m", "/bin/sh", "-c", script});
}

} // namespace qmtest

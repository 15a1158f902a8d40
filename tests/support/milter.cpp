#include "milter.hpp"

#include "opendkim.hpp"
#include "qm/fd.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <initializer_list>
#include <regex>

namespace qmtest {

namespace {

constexpr const char* opendkim_command = "/usr/sbin/opendkim";
constexpr const char* opendmarc_command = "/usr/sbin/opendmarc";
constexpr const char* dnsmasq_command = "/usr/sbin/dnsmasq";
constexpr const char* public_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dat";

// Run by unshare -n -m as sh -c SCRIPT sh DIR RECORD...: loopback up, resolv.conf pointing
// at dnsmasq on 127.0.0.1:53, then the milters in the foreground. On SIGTERM the shell
// stops its children and reaps them, so none outlives the test as a zombie.
constexpr const char* namespace_script = R"(d=$1; shift
pids=
trap 'kill $pids 2>/dev/null; wait; exit 0' TERM
ip link set lo up && mount --bind "$d/resolv.conf" /etc/resolv.conf || exit 90
/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --port=53 \
  --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts --local=/example/ \
  --log-facility=- --log-queries "$@" 2> "$d/dns.log" &
pids=$!
for i in $(seq 200); do grep -q 'cleared cache' "$d/dns.log" && break; sleep 0.05; done
/usr/sbin/opendkim -f -x "$d/opendkim.conf" &
pids="$pids $!"
/usr/sbin/opendmarc -f -c "$d/opendmarc.conf" &
pids="$pids $!"
wait
)";

// True when a unix socket at path takes a connection: the milter listens (its socket file
// exists from bind(), a moment before listen()).
bool accepts(const std::string& path) {
    const qm::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (fd.get() < 0 || path.size() >= sizeof address.sun_path)
        return false;
    path.copy(address.sun_path, path.size());
    return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

// A configuration file's text: one setting a line.
std::string lines(std::initializer_list<std::string> settings) {
    std::string out;
    for (const auto& s : settings)
        out += s + "\n";
    return out;
}

} // namespace

std::optional<std::string> milters_unavailable() {
    for (const char* path : {opendkim_command, opendmarc_command, dnsmasq_command})
        if (!std::filesystem::exists(path))
            return std::string(path) + " is not installed (script/bootstrap installs it)";
    if (!std::filesystem::exists(public_suffix_list))
        return std::string(public_suffix_list) + " is missing (package publicsuffix)";
    if (!can_make_namespaces())
        return "the milters' DNS needs a network namespace: root and unshare -n -m";
    return std::nullopt;
}

VerifyingMilters::VerifyingMilters(const std::vector<std::string>& records,
                                   const std::string& authserv_id) {
    const std::string& d = dir_.path();
    // Postfix's smtpd, as user postfix, reaches the sockets here.
    ::chmod(d.c_str(), 0755);
    spit(dir_ / "resolv.conf", "nameserver 127.0.0.1\n");
    // A host no test connects from: without the setting OpenDKIM would take 127.0.0.1 for
    // a signer and OpenDMARC would ignore it.
    spit(dir_ / "internal-hosts", "192.0.2.1\n");
    spit(dir_ / "opendkim.conf",
         lines({"Mode v", "Socket local:" + (dir_ / "opendkim.sock"), "AuthservID " + authserv_id,
                "InternalHosts " + (dir_ / "internal-hosts"), "Nameservers 127.0.0.1", "UMask 000",
                "Syslog no"}));
    spit(dir_ / "opendmarc.conf",
         lines({"Socket local:" + (dir_ / "opendmarc.sock"), "AuthservID " + authserv_id,
                "TrustedAuthservIDs " + authserv_id, "IgnoreHosts " + (dir_ / "internal-hosts"),
                "IgnoreAuthenticatedClients false", "SPFIgnoreResults true",
                "SPFSelfValidate false", std::string("PublicSuffixList ") + public_suffix_list,
                "UMask 000", "Syslog false"}));
    std::vector<std::string> argv{"/usr/bin/unshare", "-n", "-m", "/bin/sh", "-c",
                                  namespace_script,   "sh", d};
    argv.insert(argv.end(), records.begin(), records.end());
    daemon_ = std::make_unique<Daemon>(argv, RunOptions{}, dir_ / "milters.log");
    const bool up = wait_for(
        [&] { return accepts(dir_ / "opendkim.sock") && accepts(dir_ / "opendmarc.sock"); });
    INFO(log() << dns_log());
    REQUIRE(up);
}

VerifyingMilters::~VerifyingMilters() {
    if (daemon_)
        daemon_->stop(SIGTERM);
}

std::string VerifyingMilters::postfix_settings() const {
    return "smtpd_milters = unix:" + (dir_ / "opendkim.sock") +
           ", unix:" + (dir_ / "opendmarc.sock") + "\nmilter_default_action = tempfail\n";
}

std::string VerifyingMilters::dns_log() const {
    try {
        return slurp(dir_ / "dns.log");
    } catch (...) {
        return {};
    }
}

std::string VerifyingMilters::log() const {
    return daemon_ ? daemon_->log() : std::string();
}

std::vector<std::string> authentication_results(const std::string& message) {
    std::string header = message.substr(0, message.find("\n\n"));
    header = std::regex_replace(header, std::regex("\r"), "");
    header = std::regex_replace(header, std::regex("\n[ \t]+"), " ");
    std::vector<std::string> out;
    const std::regex field("^authentication-results:[ \t]*(.*)$",
                           std::regex::icase | std::regex::multiline);
    for (auto it = std::sregex_iterator(header.begin(), header.end(), field);
         it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1]);
    return out;
}

} // namespace qmtest

#include "postfix.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

namespace qmtest {

namespace {

constexpr const char* postfix_command = "/usr/sbin/postfix";

// Postfix's standard services without chroot (the instance's queue is not a jail) and
// without local delivery; a test adds the delivery agent it needs.
constexpr const char* standard_services = "pickup    unix  n - n 60 1 pickup\n"
                                          "cleanup   unix  n - n - 0 cleanup\n"
                                          "qmgr      unix  n - n 300 1 qmgr\n"
                                          "tlsmgr    unix  - - n 1000? 1 tlsmgr\n"
                                          "rewrite   unix  - - n - - trivial-rewrite\n"
                                          "bounce    unix  - - n - 0 bounce\n"
                                          "defer     unix  - - n - 0 bounce\n"
                                          "trace     unix  - - n - 0 bounce\n"
                                          "verify    unix  - - n - 1 verify\n"
                                          "flush     unix  n - n 1000? 0 flush\n"
                                          "proxymap  unix  - - n - - proxymap\n"
                                          "smtp      unix  - - n - - smtp\n"
                                          "relay     unix  - - n - - smtp\n"
                                          "showq     unix  n - n - - showq\n"
                                          "error     unix  - - n - - error\n"
                                          "retry     unix  - - n - - error\n"
                                          "discard   unix  - - n - - discard\n"
                                          "anvil     unix  - - n - 1 anvil\n"
                                          "scache    unix  - - n - 1 scache\n"
                                          "postlog   unix-dgram n - n - 1 postlogd\n";

} // namespace

std::optional<std::string> postfix_unavailable() {
    if (::geteuid() != 0)
        return "not root: a private Postfix instance needs root";
    if (!std::filesystem::exists(postfix_command))
        return "Postfix is not installed";
    if (!std::filesystem::exists("/usr/bin/swaks"))
        return "swaks is not installed";
    if (::getpwnam("postfix") == nullptr)
        return "there is no postfix user";
    return std::nullopt;
}

PrivatePostfix::PrivatePostfix() {
    const std::string& d = dir_.path();
    ::chmod(d.c_str(), 0755);
    for (const char* sub : {"/etc", "/spool", "/data"})
        std::filesystem::create_directories(d + sub);
    const passwd* pf = ::getpwnam("postfix");
    REQUIRE(pf != nullptr);
    REQUIRE(::chown((d + "/data").c_str(), pf->pw_uid, pf->pw_gid) == 0);
}

void PrivatePostfix::start(int smtpd_port, const std::string& settings,
                           const std::string& extra_services) {
    const std::string& d = dir_.path();
    spit(d + "/etc/main.cf", "compatibility_level = 3.6\n"
                             "queue_directory = " +
                                 d + "/spool\ndata_directory = " + d +
                                 "/data\n"
                                 "myhostname = pf.test\nmydomain = pf.test\nmyorigin = pf.test\n"
                                 "mydestination =\ninet_interfaces = loopback-only\n"
                                 "inet_protocols = ipv4\nmaillog_file = " +
                                 d + "/postfix.log\nmaillog_file_prefixes = " + d +
                                 "\nalias_maps =\nalias_database =\nmynetworks = 127.0.0.0/8\n" +
                                 settings);
    spit(d + "/etc/master.cf", "127.0.0.1:" + std::to_string(smtpd_port) +
                                   " inet n - n - - smtpd\n" + standard_services + extra_services);
    auto r = run({postfix_command, "-c", d + "/etc", "start"});
    INFO(r.out << r.err << log());
    REQUIRE(r.exit_code == 0);
    started_ = true;
    REQUIRE(wait_for([&] {
        return run({"/usr/bin/swaks", "--server", "127.0.0.1", "--port", std::to_string(smtpd_port),
                    "--quit-after", "CONNECT"})
                   .exit_code == 0;
    }));
}

PrivatePostfix::~PrivatePostfix() {
    if (started_)
        (void)run({postfix_command, "-c", dir_.path() + "/etc", "stop"});
}

std::string PrivatePostfix::virtual_maildirs(const std::vector<std::string>& addresses) const {
    const passwd* nobody = ::getpwnam("nobody");
    REQUIRE(nobody != nullptr);
    const std::string base = dir_.path() + "/mail";
    std::filesystem::create_directories(base);
    REQUIRE(::chown(base.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
    std::set<std::string> domains;
    std::string maps;
    for (const auto& a : addresses) {
        domains.insert(a.substr(a.find('@') + 1));
        maps += (maps.empty() ? "" : ", ") + a + "=" + a + "/Maildir/";
    }
    std::string domain_list;
    for (const auto& d : domains)
        domain_list += (domain_list.empty() ? "" : ", ") + d;
    return "virtual_mailbox_domains = " + domain_list + "\nvirtual_mailbox_base = " + base +
           "\nvirtual_mailbox_maps = inline:{ " + maps +
           " }\nvirtual_uid_maps = static:" + std::to_string(nobody->pw_uid) +
           "\nvirtual_gid_maps = static:" + std::to_string(nobody->pw_gid) + "\n";
}

std::vector<std::string> PrivatePostfix::delivered(const std::string& address) const {
    const std::string dir = dir_.path() + "/mail/" + address + "/Maildir/new";
    std::vector<std::string> out;
    if (!std::filesystem::exists(dir))
        return out;
    for (const auto& f : list_dir(dir))
        out.push_back(slurp(dir + "/" + f));
    return out;
}

std::string PrivatePostfix::log() const {
    try {
        return slurp(dir_.path() + "/postfix.log");
    } catch (...) {
        return {};
    }
}

} // namespace qmtest

// The service files under share/: systemd units (checked by systemd-analyze verify, with
// the programs' paths pointed at this build) and daemontools run scripts.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>

namespace fs = std::filesystem;

namespace {

const std::string share = std::string(QM_SOURCE_DIR) + "/share";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
    return s;
}

} // namespace

TEST_CASE("the systemd units pass systemd-analyze verify - each socket feeds its daemon",
          "[scenario][service]") {
    if (!fs::exists("/usr/bin/systemd-analyze"))
        return qmtest::skip("systemd-analyze (package systemd) is not installed");
    qmtest::TempDir dir;
    std::vector<std::string> argv{"/usr/bin/systemd-analyze", "verify"};
    std::set<std::string> units;
    for (const auto& e : fs::directory_iterator(share + "/systemd")) {
        const std::string name = e.path().filename();
        units.insert(name);
        // The units name /var/qmail/bin; verify checks that each ExecStart is there.
        qmtest::spit(dir / name, replace_all(qmtest::slurp(e.path()), "/var/qmail/bin/",
                                             std::string(QM_BIN_DIR) + "/"));
        argv.push_back(dir / name);
    }
    for (const char* daemon : {"qmail-smtpd", "qmail-qmtpd", "qmail-qmqpd"}) {
        INFO(daemon);
        REQUIRE(units.count(std::string(daemon) + ".socket") == 1);
        REQUIRE(units.count(std::string(daemon) + ".service") == 1);
        // The socket's FileDescriptorName is the one the service listens on.
        const std::string socket = qmtest::slurp(share + "/systemd/" + daemon + ".socket");
        const std::string service = qmtest::slurp(share + "/systemd/" + daemon + ".service");
        std::smatch m;
        REQUIRE(std::regex_search(socket, m, std::regex("\nFileDescriptorName=([a-z]+)\n")));
        CHECK(service.find("--listen systemd:" + m[1].str() + " ") != std::string::npos);
        CHECK(socket.find("\nService=" + std::string(daemon) + ".service\n") != std::string::npos);
    }
    CHECK(units.count("qmail-send.service") == 1);
    // POP3: one qmail-popup per connection (inetd style), the socket on its stdin/stdout.
    REQUIRE(units.count("qmail-pop3.socket") == 1);
    REQUIRE(units.count("qmail-pop3@.service") == 1);
    CHECK(qmtest::slurp(share + "/systemd/qmail-pop3.socket").find("\nAccept=yes\n") !=
          std::string::npos);
    const std::string pop3 = qmtest::slurp(share + "/systemd/qmail-pop3@.service");
    CHECK(pop3.find("\nExecStart=/var/qmail/bin/qmail-popup %H ") != std::string::npos);
    CHECK(pop3.find("/var/qmail/bin/qmail-pop3d Maildir\n") != std::string::npos);
    CHECK(pop3.find("\nStandardInput=socket\n") != std::string::npos);
    auto r = qmtest::run(argv);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty()); // unknown keys are only warnings
}

TEST_CASE("the daemontools run scripts parse and start the daemons with a log service",
          "[scenario][service]") {
    for (const char* service :
         {"qmail-send", "qmail-smtpd", "qmail-qmtpd", "qmail-qmqpd", "qmail-pop3d"}) {
        INFO(service);
        const std::string dir = share + "/daemontools/" + service;
        for (const std::string& script : {dir + "/run", dir + "/log/run"}) {
            REQUIRE(fs::exists(script));
            CHECK((fs::status(script).permissions() & fs::perms::owner_exec) != fs::perms::none);
            CHECK(qmtest::run({"/bin/sh", "-n", script}).exit_code == 0);
        }
        const std::string run = qmtest::slurp(dir + "/run");
        CHECK(run.find("QMAILHOME=/var/qmail") != std::string::npos);
        const std::string name = service;
        if (name == "qmail-pop3d") {
            // Under tcpserver, as root: checkpassword changes to the mailbox's owner.
            CHECK(run.find("tcpserver -v -R -H -c 40 -x /etc/tcp.pop3.cdb 0 110") !=
                  std::string::npos);
            CHECK(run.find("qmail-popup \"$(hostname -f)\" /usr/local/bin/checkpassword "
                           "qmail-pop3d Maildir") != std::string::npos);
        } else if (name != "qmail-send") {
            CHECK(run.find(name + " --listen :") != std::string::npos);
            CHECK(run.find("--rules /etc/tcp.") != std::string::npos);
        }
        CHECK(qmtest::slurp(dir + "/log/run").find("multilog t ./main") != std::string::npos);
    }
}

// Started as root (as share/setups shows for port 25), the --listen daemons bind and then
// become qmaild before the first byte from the network is read; on stdin/stdout, where
// nothing would drop root for them, they refuse to run as root at all.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <sstream>

namespace {

// The "Name:\tvalues" line of /proc/<pid>/status, values only.
std::string status_field(int pid, const std::string& name) {
    std::istringstream in(qmtest::slurp("/proc/" + std::to_string(pid) + "/status"));
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(name + ":"))
            return line.substr(name.size() + 2);
    return "";
}

// A mail root made by qmail-install run as root: queue owned by qmailq, setuid qmail-queue.
struct RootMailRoot {
    qmtest::TempDir dir;
    std::string home = dir / "qmail";
    RootMailRoot() {
        auto r = qmtest::run({qmtest::bin("qmail-install"), home}, {.env = {{"QMAILHOME", home}}});
        REQUIRE(r.exit_code == 0);
        qmtest::spit(home + "/control/me", "test.example\n");
        qmtest::spit(home + "/control/rcpthosts", "test.example\n");
    }
    [[nodiscard]] std::unique_ptr<qmtest::Daemon> start(const std::vector<std::string>& argv,
                                                        const std::string& log) const {
        auto d = std::make_unique<qmtest::Daemon>(
            argv, qmtest::RunOptions{.env = {{"QMAILHOME", home}}}, home + "/" + log);
        REQUIRE(qmtest::wait_for(
            [&] { return d->log().find("status: running as") != std::string::npos; }));
        return d;
    }
};

// Every id of the process is qmaild's, no supplementary group but its own, no capability.
void check_dropped(int pid) {
    const passwd* pw = ::getpwnam("qmaild");
    REQUIRE(pw);
    const std::string u = std::to_string(pw->pw_uid), g = std::to_string(pw->pw_gid);
    CHECK(status_field(pid, "Uid") == u + "\t" + u + "\t" + u + "\t" + u);
    CHECK(status_field(pid, "Gid") == g + "\t" + g + "\t" + g + "\t" + g);
    CHECK(status_field(pid, "Groups") == g + " ");
    CHECK(status_field(pid, "CapEff") == "0000000000000000");
    CHECK(status_field(pid, "CapPrm") == "0000000000000000");
}

} // namespace

TEST_CASE("qmail-smtpd --listen started as root serves as qmaild and still queues",
          "[scenario][smtp][daemon][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    RootMailRoot root;
    // A root-only key: it must be read before the drop.
    qmtest::self_signed_pem(root.home + "/control/servercert.pem", "mx.test.example");
    const int port = qmtest::free_port();
    auto smtpd = root.start(
        {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(port)}, "smtpd.log");
    CHECK(smtpd->log().find("status: queueing through qmail-queue") != std::string::npos);
    qmtest::LoopbackClient c(port);
    REQUIRE(c.read_until([](const std::string& got) {
                 return got.find("\r\n") != std::string::npos;
             }).starts_with("220 "));
    check_dropped(smtpd->pid());
    c.send("EHLO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n"
           "Subject: dropped\r\n\r\nbody\r\n.\r\nQUIT\r\n");
    const std::string& got =
        c.read_until([](const std::string& s) { return s.find("221 ") != std::string::npos; });
    CHECK(got.find("250-STARTTLS") != std::string::npos);
    CHECK(got.find("\r\n250 2.0.0 ok ") != std::string::npos);
    auto queued = qmtest::queued_messages(root.home);
    REQUIRE(queued.size() == 1);
    CHECK(queued[0].recipients == std::vector<std::string>{"joe@test.example"});
    CHECK(WEXITSTATUS(smtpd->stop(SIGTERM)) == 0);
}

TEST_CASE("qmail-qmtpd and qmail-qmqpd --listen started as root serve as qmaild",
          "[scenario][qmtp][daemon][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    RootMailRoot root;
    for (const char* program : {"qmail-qmtpd", "qmail-qmqpd"}) {
        const int port = qmtest::free_port();
        auto d = root.start({qmtest::bin(program), "--listen", "127.0.0.1:" + std::to_string(port)},
                            std::string(program) + ".log");
        qmtest::LoopbackClient c(port);
        REQUIRE(
            qmtest::wait_for([&] { return d->log().find("ok 127.0.0.1:") != std::string::npos; }));
        check_dropped(d->pid());
    }
}

TEST_CASE("on stdin the network daemons refuse to run as root", "[scenario][smtp][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    RootMailRoot root;
    auto r = qmtest::run({qmtest::bin("qmail-smtpd")},
                         {.stdin_data = "EHLO c\r\nQUIT\r\n", .env = {{"QMAILHOME", root.home}}});
    CHECK(r.exit_code == 111);
    CHECK(r.out == "421 4.3.0 service unavailable\r\n");
    CHECK(r.err.find("refusing to read the network as root") != std::string::npos);
    for (const char* program : {"qmail-qmtpd", "qmail-qmqpd"}) {
        r = qmtest::run({qmtest::bin(program)},
                        {.stdin_data = "", .env = {{"QMAILHOME", root.home}}});
        CHECK(r.exit_code == 111);
        CHECK(r.err.find("refusing to read the network as root") != std::string::npos);
    }
}

// A real Postfix (Debian's, a private instance in a temporary directory) relaying to our
// qmail-smtpd daemon over loopback, with and without STARTTLS. Needs root (postfix -c).
#include "support.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace {

const char* master_cf = "pickup    unix  n - n 60 1 pickup\n"
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

// Postfix with its own queue and an SMTP listener on in_port, relaying everything to
// 127.0.0.1:out_port.
class PrivatePostfix {
public:
    PrivatePostfix(int in_port, int out_port, bool tls) {
        const std::string d = dir_.path();
        ::chmod(d.c_str(), 0755);
        for (const char* sub : {"/etc", "/spool", "/data"})
            std::filesystem::create_directories(d + sub);
        const passwd* pf = ::getpwnam("postfix");
        REQUIRE(pf != nullptr);
        REQUIRE(::chown((d + "/data").c_str(), pf->pw_uid, pf->pw_gid) == 0);
        qmtest::spit(d + "/etc/main.cf",
                     "compatibility_level = 3.6\nqueue_directory = " + d + "/spool\n" +
                         "data_directory = " + d +
                         "/data\nmyhostname = pf.test\n"
                         "mydomain = pf.test\nmyorigin = pf.test\nmydestination =\n"
                         "inet_interfaces = loopback-only\ninet_protocols = ipv4\n"
                         "relayhost = [127.0.0.1]:" +
                         std::to_string(out_port) +
                         "\n"
                         "maillog_file = " +
                         d + "/postfix.log\nmaillog_file_prefixes = " + d +
                         "\nalias_maps =\nalias_database =\nmynetworks = 127.0.0.0/8\n"
                         "smtp_tls_security_level = " +
                         (tls ? "encrypt" : "none") + "\n");
        qmtest::spit(d + "/etc/master.cf", "127.0.0.1:" + std::to_string(in_port) +
                                               " inet n - n - - smtpd\n" + master_cf);
        auto r = qmtest::run({"/usr/sbin/postfix", "-c", d + "/etc", "start"});
        INFO(r.out << r.err << log());
        REQUIRE(r.exit_code == 0);
    }
    ~PrivatePostfix() {
        (void)qmtest::run({"/usr/sbin/postfix", "-c", dir_.path() + "/etc", "stop"});
    }
    PrivatePostfix(const PrivatePostfix&) = delete;
    PrivatePostfix& operator=(const PrivatePostfix&) = delete;
    [[nodiscard]] std::string log() const {
        try {
            return qmtest::slurp(dir_.path() + "/postfix.log");
        } catch (...) {
            return {};
        }
    }

private:
    qmtest::TempDir dir_;
};

} // namespace

TEST_CASE("Postfix relays to qmail-smtpd, in the clear and with STARTTLS",
          "[scenario][smtp][postfix]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: a private Postfix instance needs root");
    if (!std::filesystem::exists("/usr/sbin/postfix"))
        return qmtest::skip("Postfix is not installed");
    for (bool tls : {false, true}) {
        INFO("tls " << tls);
        qmtest::MailRoot root;
        root.control("rcpthosts", "test.example\n");
        if (tls) {
            const std::string c = root / "control";
            auto r = qmtest::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048",
                                  "-nodes", "-subj", "/CN=mx.test.example", "-days", "2", "-keyout",
                                  c + "/k", "-out", c + "/c"});
            REQUIRE(r.exit_code == 0);
            qmtest::spit(c + "/servercert.pem", qmtest::slurp(c + "/c") + qmtest::slurp(c + "/k"),
                         0600);
            root.give_to_user(c + "/servercert.pem");
        }
        const int ours = qmtest::free_port(), theirs = qmtest::free_port();
        auto smtpd = root.start(
            {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(ours)},
            "smtpd.log");
        REQUIRE(qmtest::wait_for(
            [&] { return smtpd->log().find("status: listening") != std::string::npos; }));
        PrivatePostfix postfix(theirs, ours, tls);
        REQUIRE(qmtest::wait_for([&] {
            return qmtest::run({"/usr/bin/swaks", "--server", "127.0.0.1", "--port",
                                std::to_string(theirs), "--quit-after", "CONNECT"})
                       .exit_code == 0;
        }));
        auto sent = qmtest::run({"/usr/bin/swaks", "--server", "127.0.0.1", "--port",
                                 std::to_string(theirs), "--from", "ann@pf.test", "--to",
                                 "joe@test.example", "--header", "Subject: through Postfix",
                                 "--body", ".leading dot\nline two"});
        REQUIRE(sent.exit_code == 0);
        REQUIRE(
            qmtest::wait_for([&] { return qmtest::list_dir(root / "queue/todo").size() == 1; }));
        const std::string id = qmtest::list_dir(root / "queue/todo")[0];
        const std::string msg =
            qmtest::slurp(root / ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
        INFO(msg << postfix.log());
        CHECK(msg.find(tls ? " with ESMTPS; " : " with ESMTP; ") != std::string::npos);
        CHECK(msg.find("by pf.test (Postfix)") != std::string::npos);
        CHECK(msg.find("\nSubject: through Postfix\n") != std::string::npos);
        CHECK(msg.find("\n.leading dot\nline two\n") != std::string::npos);
        // Postfix logs the delivery after our 250, so the log may lag the queue a little.
        CHECK(qmtest::wait_for(
            [&] { return postfix.log().find("status=sent (250 2.0.0 ok ") != std::string::npos; }));
    }
}

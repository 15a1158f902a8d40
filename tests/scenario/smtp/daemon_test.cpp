// qmail-smtpd --listen: the Asio daemon, driven over real loopback sockets.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

namespace {

// A loopback client that reads SMTP reply lines.
class Client : public qmtest::LoopbackClient {
public:
    using LoopbackClient::LoopbackClient;
    // Reads until `lines` complete reply lines have arrived, EOF, or 10 s.
    std::string read_lines(size_t lines) {
        return read_until([lines](const std::string& got) {
            size_t n = 0;
            for (size_t pos = 0; (pos = got.find("\r\n", pos)) != std::string::npos; pos += 2)
                ++n;
            return n >= lines;
        });
    }
};

struct Listening {
    qmtest::MailRoot root;
    int port = qmtest::free_port();
    std::unique_ptr<qmtest::Daemon> smtpd;

    explicit Listening(const std::vector<std::string>& extra = {}) {
        root.control("rcpthosts", "test.example\n");
        std::vector<std::string> argv{qmtest::bin("qmail-smtpd"), "--listen",
                                      "127.0.0.1:" + std::to_string(port)};
        argv.insert(argv.end(), extra.begin(), extra.end());
        smtpd = root.start(argv, "smtpd.log");
        REQUIRE(qmtest::wait_for(
            [&] { return smtpd->log().find("status: listening") != std::string::npos; }));
    }
    size_t queued() const { return qmtest::list_dir(root / "queue/todo").size(); }
};

} // namespace

TEST_CASE("the daemon serves many concurrent pipelined sessions", "[scenario][smtp][daemon]") {
    Listening l;
    constexpr int sessions = 50;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < sessions; ++i) {
        clients.push_back(std::make_unique<Client>(l.port));
        REQUIRE(clients.back()->connected());
    }
    // Every session open at once, then each sends a whole pipelined transaction.
    for (int i = 0; i < sessions; ++i)
        clients[i]->send("EHLO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<joe@test.example>\r\n"
                         "DATA\r\nSubject: " +
                         std::to_string(i) + "\r\n\r\nbody\r\n.\r\nQUIT\r\n");
    for (auto& c : clients) {
        auto got = c->read_lines(11);
        CHECK(got.find("\r\n250 2.0.0 ok ") != std::string::npos);
        CHECK(got.ends_with("221 2.0.0 test.example\r\n"));
    }
    CHECK(l.queued() == sessions);
    CHECK(qmtest::wait_for(
        [&] { return l.smtpd->log().find("status: 0/100") != std::string::npos; }));
    CHECK(WEXITSTATUS(l.smtpd->stop(SIGTERM)) == 0);
}

TEST_CASE("1000 sessions open at once are all served", "[scenario][smtp][daemon]") {
    // Client and daemon each hold 1,000 sockets: raise the soft limit (the daemon inherits it).
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < 2500 && lim.rlim_max >= 2500) {
        lim.rlim_cur = 2500;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    ::getrlimit(RLIMIT_NOFILE, &lim);
    REQUIRE(lim.rlim_cur >= 2500); // a hard limit this low would be a strange machine
    // All from 127.0.0.1: lift the per-address limit (default half) for this one.
    Listening l({"--max-connections", "1000", "--max-per-ip", "1000"});
    constexpr int sessions = 1000;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < sessions; ++i) {
        clients.push_back(std::make_unique<Client>(l.port));
        REQUIRE(clients.back()->connected());
    }
    // Every greeting read: all 1,000 are accepted and open at the same time.
    for (auto& c : clients)
        REQUIRE(c->read_lines(1).starts_with("220 "));
    CHECK(qmtest::wait_for(
        [&] { return l.smtpd->log().find("status: 1000/1000") != std::string::npos; }));
    for (auto& c : clients)
        c->send(
            "EHLO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<joe@test.example>\r\nRSET\r\nQUIT\r\n");
    int served = 0;
    for (auto& c : clients)
        if (c->read_lines(10).ends_with("250 2.0.0 flushed\r\n221 2.0.0 test.example\r\n"))
            ++served;
    CHECK(served == sessions);
    CHECK(qmtest::wait_for(
        [&] { return l.smtpd->log().find("status: 0/1000") != std::string::npos; }));
}

TEST_CASE("the daemon refuses connections over its limit with 421", "[scenario][smtp][daemon]") {
    Listening l({"--max-connections", "2", "--max-per-ip", "2"}); // the overall limit alone
    Client a(l.port), b(l.port);
    CHECK(a.read_lines(1).starts_with("220 "));
    CHECK(b.read_lines(1).starts_with("220 "));
    Client c(l.port);
    CHECK(c.read_lines(1) == "421 4.3.2 too many connections, try again later\r\n");
    CHECK(c.closed_by_server());
}

TEST_CASE("the daemon closes idle sessions after timeoutsmtpd", "[scenario][smtp][daemon]") {
    Listening l;
    l.root.control("timeoutsmtpd", "1\n");
    l.smtpd->stop(SIGTERM);
    std::vector<std::string> argv{qmtest::bin("qmail-smtpd"), "--listen",
                                  "127.0.0.1:" + std::to_string(l.port)};
    l.smtpd = l.root.start(argv, "smtpd2.log");
    REQUIRE(qmtest::wait_for(
        [&] { return l.smtpd->log().find("status: listening") != std::string::npos; }));
    Client c(l.port);
    c.send("HELO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\nhalf a mess");
    CHECK(c.closed_by_server());
    CHECK(c.got().ends_with("451 4.4.2 timeout\r\n"));
    CHECK(l.queued() == 0);
}

TEST_CASE("SIGTERM lets an open session finish, a second one ends it", "[scenario][smtp][daemon]") {
    Listening l;
    Client c(l.port);
    REQUIRE(c.read_lines(1).starts_with("220 "));
    ::kill(l.smtpd->pid(), SIGTERM);
    REQUIRE(qmtest::wait_for(
        [&] { return l.smtpd->log().find("status: exiting") != std::string::npos; }));
    // Still served.
    c.send("HELO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\nx\r\n.\r\n");
    CHECK(c.read_lines(6).find("250 2.0.0 ok") != std::string::npos);
    CHECK(l.queued() == 1);
    // No new connections.
    Client late(l.port);
    CHECK_FALSE(late.connected());
    c.send("QUIT\r\n");
    CHECK(c.closed_by_server());
    CHECK(WEXITSTATUS(l.smtpd->stop(SIGTERM)) == 0);
}

TEST_CASE("a listen address that cannot be used is a clear error", "[scenario][smtp][daemon]") {
    qmtest::MailRoot root;
    auto r = root.run({qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1"});
    CHECK(r.exit_code == 100);
    CHECK(r.err.find("127.0.0.1 has no :port") != std::string::npos);
    r = root.run({qmtest::bin("qmail-smtpd"), "--listen", "192.0.2.250:2525"});
    CHECK(r.exit_code == 111);
    CHECK(r.err.find("unable to listen on 192.0.2.250:2525") != std::string::npos);
}

TEST_CASE("socket activation: the daemon serves on the sockets systemd passes",
          "[scenario][smtp][daemon]") {
    if (!std::filesystem::exists("/usr/bin/systemd-socket-activate"))
        return qmtest::skip("systemd-socket-activate (package systemd) is not installed");
    qmtest::MailRoot root;
    root.control("rcpthosts", "test.example\n");
    const int port = qmtest::free_port();
    const int submission = qmtest::free_port();
    // As systemd does with two .socket units (FileDescriptorName=smtp, submission):
    // systemd-socket-activate binds, and on the first connection runs the daemon with
    // LISTEN_FDS=2 and LISTEN_FDNAMES=smtp:submission (and only the environment it is
    // told to pass, as a unit's Environment= would set it).
    auto smtpd =
        root.start({"/usr/bin/systemd-socket-activate", "-l", "127.0.0.1:" + std::to_string(port),
                    "-l", "127.0.0.1:" + std::to_string(submission), "--fdname=smtp:submission",
                    "-E", "QMAILHOME", qmtest::bin("qmail-smtpd"), "--listen", "systemd:smtp"},
                   "smtpd.log");
    REQUIRE(qmtest::wait_for([&] {
        return smtpd->log().find("Listening on 127.0.0.1:" + std::to_string(submission)) !=
               std::string::npos;
    }));
    for (int i = 0; i < 2; ++i) { // the first connection starts it, the second finds it up
        Client c(port);
        REQUIRE(c.connected());
        CHECK(c.read_lines(1).starts_with("220 "));
        c.send("HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n"
               "Subject: activated\r\n\r\nhi\r\n.\r\nQUIT\r\n");
        CHECK(c.read_lines(7).find("250 2.0.0 ok") != std::string::npos);
    }
    const std::string log = smtpd->log();
    INFO(log);
    CHECK(log.find("status: listening on 127.0.0.1:" + std::to_string(port) + " (from systemd)") !=
          std::string::npos);
    // Only the socket named smtp: the submission socket is not served as plain SMTP.
    CHECK(log.find("status: listening on 127.0.0.1:" + std::to_string(submission)) ==
          std::string::npos);
    CHECK(qmtest::list_dir(root / "queue/todo").size() == 2);

    // Without sockets from systemd, "--listen systemd" is a clear error.
    auto none = root.run({qmtest::bin("qmail-smtpd"), "--listen", "systemd"},
                         {.unset_env = {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"}});
    CHECK(none.exit_code == 100);
    CHECK(none.err.find("--listen systemd: systemd passed no sockets") != std::string::npos);
}

TEST_CASE("swaks → qmail-smtpd daemon → qmail-send → a maildir", "[scenario][smtp][daemon]") {
    Listening l;
    const std::string home = l.root.add_user("joe");
    auto send = l.root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
    for (const char* mode : {"--pipeline", "--no-pipeline"}) {
        auto r = qmtest::run(
            {"/usr/bin/swaks", "--server", "127.0.0.1", "--port", std::to_string(l.port), "--from",
             "ann@client.example", "--to", "joe@test.example", "--header",
             std::string("Subject: via swaks ") + mode, "--body", "Hello from swaks.", mode});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("<-  250 2.0.0 ok ") != std::string::npos);
    }
    // A recipient elsewhere is refused, and swaks says so.
    auto refused =
        qmtest::run({"/usr/bin/swaks", "--server", "127.0.0.1", "--port", std::to_string(l.port),
                     "--from", "ann@client.example", "--to", "victim@elsewhere.example"});
    CHECK(refused.exit_code != 0);
    CHECK(refused.out.find("553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts") !=
          std::string::npos);

    REQUIRE(qmtest::wait_for([&] { return qmtest::list_dir(home + "/Maildir/new").size() == 2; }));
    for (const auto& f : qmtest::list_dir(home + "/Maildir/new")) {
        const std::string msg = qmtest::slurp(home + "/Maildir/new/" + f);
        CHECK(
            msg.starts_with("Return-Path: <ann@client.example>\nDelivered-To: joe@test.example\n"));
        CHECK(msg.find("\nReceived: from unknown (HELO ") != std::string::npos);
        CHECK(msg.find("Subject: via swaks --") != std::string::npos);
        CHECK(msg.find("\nHello from swaks.\n") != std::string::npos);
        CHECK(msg.find('\r') == std::string::npos);
    }
}

namespace {

// A self-signed certificate and its key in one PEM file, as control/servercert.pem.
// checkpassword: joe's password is "secret".
std::string make_checkpassword(const qmtest::MailRoot& root) {
    const std::string path = root / "checkpassword";
    qmtest::spit(path,
                 "#!/bin/bash\n"
                 "IFS= read -r -d '' user <&3; IFS= read -r -d '' pass <&3\n"
                 "[ \"$user\" = joe ] && [ \"$pass\" = secret ] && exec \"$@\"\n"
                 "exit 1\n",
                 0755);
    return path;
}

qmtest::RunResult swaks(int port, const std::vector<std::string>& extra) {
    std::vector<std::string> argv{"/usr/bin/swaks",     "--server", "127.0.0.1",         "--port",
                                  std::to_string(port), "--from",   "ann@client.example"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return qmtest::run(argv);
}

std::string only_message(const qmtest::MailRoot& root) {
    auto todo = qmtest::list_dir(root / "queue/todo");
    REQUIRE(todo.size() == 1);
    return qmtest::slurp(
        root / ("queue/mess/" + std::to_string(std::stoul(todo[0]) % 23) + "/" + todo[0]));
}

} // namespace

TEST_CASE("STARTTLS with swaks: the message arrives and says ESMTPS", "[scenario][smtp][tls]") {
    qmtest::MailRoot root;
    root.control("rcpthosts", "test.example\n");
    root.server_certificate();
    const int port = qmtest::free_port();
    auto smtpd = root.start(
        {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(port)}, "tls.log");
    REQUIRE(qmtest::wait_for([&] { return smtpd->log().find("(STARTTLS)") != std::string::npos; }));
    auto r = swaks(port, {"--to", "joe@test.example", "--tls"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("<-  250-STARTTLS") != std::string::npos);
    CHECK(r.out.find("<~  250 2.0.0 ok ") != std::string::npos); // "~": inside TLS
    CHECK(only_message(root).find(" with ESMTPS; ") != std::string::npos);
}

TEST_CASE("submission: AUTH only after STARTTLS, then relaying is allowed",
          "[scenario][smtp][tls]") {
    qmtest::MailRoot root;
    root.control("rcpthosts", "test.example\n");
    root.server_certificate();
    const std::string checkpassword = make_checkpassword(root);
    const int port = qmtest::free_port();
    auto smtpd = root.start({qmtest::bin("qmail-smtpd"), "--submission",
                             "127.0.0.1:" + std::to_string(port), "--checkpassword", checkpassword},
                            "submission.log");
    REQUIRE(
        qmtest::wait_for([&] { return smtpd->log().find("(submission)") != std::string::npos; }));

    // In the clear: no AUTH offered, and MAIL is refused until STARTTLS.
    Client plain(port);
    plain.send("EHLO c\r\nAUTH PLAIN AGpvZQBzZWNyZXQ=\r\nMAIL FROM:<a@c>\r\nQUIT\r\n");
    auto got = plain.read_lines(10);
    CHECK(got.find("250-AUTH") == std::string::npos); // not offered in the clear
    CHECK(got.find("538 5.7.11 encryption required") != std::string::npos);
    CHECK(got.find("530 5.7.0 must issue a STARTTLS command first") != std::string::npos);

    // Wrong password.
    auto bad = swaks(port, {"--to", "victim@elsewhere.example", "--tls", "--auth", "PLAIN",
                            "--auth-user", "joe", "--auth-password", "wrong"});
    CHECK(bad.exit_code != 0);
    CHECK(bad.out.find("535 5.7.8 authentication failed") != std::string::npos);
    // Right password, PLAIN and LOGIN: relayed to any domain.
    for (const char* mech : {"PLAIN", "LOGIN"}) {
        auto ok = swaks(port, {"--to", "victim@elsewhere.example", "--tls", "--auth", mech,
                               "--auth-user", "joe", "--auth-password", "secret"});
        INFO(ok.out << ok.err);
        CHECK(ok.exit_code == 0);
        CHECK(ok.out.find("<~  250-AUTH PLAIN LOGIN") != std::string::npos);
        CHECK(ok.out.find("235 2.7.0 authentication successful") != std::string::npos);
    }
    auto todo = qmtest::list_dir(root / "queue/todo");
    REQUIRE(todo.size() == 2);
    const std::string msg = qmtest::slurp(
        root / ("queue/mess/" + std::to_string(std::stoul(todo[0]) % 23) + "/" + todo[0]));
    CHECK(msg.find(" with ESMTPSA; ") != std::string::npos);
    CHECK(qmtest::wait_for([&] { return smtpd->log().find(" joe\n") != std::string::npos; }));
}

TEST_CASE("a submission listener without a certificate or checkpassword is refused",
          "[scenario][smtp][tls]") {
    qmtest::MailRoot root;
    auto r = root.run({qmtest::bin("qmail-smtpd"), "--submission", "127.0.0.1:0", "--checkpassword",
                       "/bin/false"});
    CHECK(r.exit_code == 100);
    CHECK(r.err.find("needs a TLS certificate") != std::string::npos);
    root.server_certificate();
    r = root.run({qmtest::bin("qmail-smtpd"), "--submission", "127.0.0.1:0"});
    CHECK(r.exit_code == 100);
    CHECK(r.err.find("needs --checkpassword") != std::string::npos);
    qmtest::spit(root / "control/servercert.pem", "not a certificate\n");
    r = root.run({qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:0"});
    CHECK(r.exit_code == 111);
    CHECK(r.err.find("unable to load the TLS certificate") != std::string::npos);
}

TEST_CASE("the daemon follows a tcprules cdb per connection",
          "[scenario][smtp][daemon][tcprules]") {
    Listening l;
    const std::string rules = l.root / "tcp.smtp.cdb";
    auto compile = [&](const std::string& text) {
        auto r =
            qmtest::run({qmtest::bin("tcprules"), rules, rules + ".tmp"}, {.stdin_data = text});
        REQUIRE(r.exit_code == 0);
    };
    l.smtpd->stop(SIGTERM);
    l.smtpd = l.root.start({qmtest::bin("qmail-smtpd"), "--listen",
                            "127.0.0.1:" + std::to_string(l.port), "--rules", rules},
                           "rules.log");
    REQUIRE(qmtest::wait_for(
        [&] { return l.smtpd->log().find("status: listening") != std::string::npos; }));

    // No table yet: refused for now, never "allow everyone".
    {
        Client c(l.port);
        CHECK(c.read_lines(1) == "421 4.3.0 unable to read rules\r\n");
    }
    // Denied: closed without a greeting.
    compile("127.0.0.1:deny\n");
    {
        Client c(l.port);
        CHECK(c.closed_by_server());
        CHECK(c.got().empty());
    }
    // Allowed with RELAYCLIENT and another queue program: relayed, through that program.
    const std::string qq = l.root / "qq-logging";
    qmtest::spit(
        qq,
        "#!/bin/sh\necho used >\"$QMAILHOME/qq-was-used\"\nexec \"$QMAILHOME/bin/qmail-queue\"\n",
        0755);
    compile("127.0.0.1:allow,RELAYCLIENT=\"\",QMAILQUEUE=\"" + qq + "\"\n:deny\n");
    {
        Client c(l.port);
        c.send("HELO c\r\nMAIL FROM:<a@c>\r\nRCPT "
               "TO:<victim@elsewhere.example>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
        CHECK(c.read_lines(7).find("250 2.0.0 ok") != std::string::npos);
    }
    CHECK(l.queued() == 1);
    CHECK(std::filesystem::exists(l.root / "qq-was-used"));
    CHECK(l.smtpd->log().find("deny 127.0.0.1:") != std::string::npos);
}

TEST_CASE("in-process queueing: SIGKILL mid-traffic loses nothing that got 250",
          "[scenario][smtp][daemon]") {
    Listening l;
    REQUIRE(l.smtpd->log().find("status: queueing in-process") != std::string::npos);
    constexpr int sessions = 8, per_session = 10;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < sessions; ++i) {
        clients.push_back(std::make_unique<Client>(l.port));
        std::string dialogue = "EHLO c\r\n";
        for (int m = 0; m < per_session; ++m)
            dialogue +=
                "MAIL FROM:<a@c.example>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\nSubject: m" +
                std::to_string(i * per_session + m) + "\r\n\r\n" + std::string(20000, 'x') +
                "\r\nend of message\r\n.\r\n";
        clients.back()->send(dialogue);
    }
    // Kill the daemon while messages are being written.
    REQUIRE(qmtest::wait_for([&] { return l.queued() >= 5; }));
    ::kill(l.smtpd->pid(), SIGKILL);
    l.smtpd->stop(SIGKILL);
    // Every message a client saw 250 for is queued, whole.
    for (auto& c : clients)
        c->closed_by_server();
    size_t acks = 0;
    for (auto& c : clients)
        for (size_t pos = 0; (pos = c->got().find("250 2.0.0 ok ", pos)) != std::string::npos;
             ++pos)
            ++acks;
    const auto todo = qmtest::list_dir(l.root / "queue/todo");
    CHECK(todo.size() >= acks);
    for (const auto& id : todo) {
        const std::string msg = qmtest::slurp(
            l.root / ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
        CHECK(msg.ends_with("\nend of message\n"));
    }
    // An envelope without its todo/ link is a commit that was cut short: at most one per
    // queue thread (4), and qmail-send's cleanup removes it.
    size_t uncommitted = 0;
    for (const auto& id : qmtest::list_dir(l.root / "queue/intd"))
        if (std::find(todo.begin(), todo.end(), id) == todo.end())
            ++uncommitted;
    CHECK(uncommitted <= 4);
}

TEST_CASE("with the journal the daemon keeps its qmail-journald connection - a new one after a "
          "restart",
          "[scenario][smtp][daemon][journal]") {
    Listening l;
    l.root.control("journal", "1\n");
    auto start_journald = [&](size_t seen) {
        auto d = l.root.start({qmtest::bin("qmail-journald")}, "journald.log");
        REQUIRE(qmtest::wait_for(
            [&] { return d->log().find("status: journal ready", seen) != std::string::npos; }));
        return d;
    };
    auto one_message = [&](int n) {
        Client c(l.port);
        REQUIRE(c.connected());
        c.send("HELO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n"
               "Subject: " +
               std::to_string(n) + "\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        return c.read_lines(6);
    };
    auto journald = start_journald(0);
    for (int n = 0; n < 3; ++n)
        CHECK(one_message(n).find("\r\n250 2.0.0 ok ") != std::string::npos);
    // The connection outlives the messages: qmail-journald still holds it beside its
    // listening socket (without the pool, each message's connection is closed).
    auto sockets_of = [](int pid) {
        size_t n = 0;
        const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
        for (const auto& e : std::filesystem::directory_iterator(fds)) {
            std::error_code ec;
            if (std::filesystem::read_symlink(e.path(), ec).string().starts_with("socket:"))
                ++n;
        }
        return n;
    };
    CHECK(sockets_of(journald->pid()) == 2);
    const size_t seen = journald->log().size();
    journald->stop();
    journald = start_journald(seen);
    // The kept connection is dead: the next message goes over a new one, not a 451.
    const std::string got = one_message(3);
    INFO(got);
    CHECK(got.find("\r\n250 2.0.0 ok ") != std::string::npos);
    CHECK(l.queued() == 4);
    CHECK(qmtest::count_of(l.root.run({qmtest::bin("qmail-journal")}).out, " M id=") == 4);
    journald->stop();
    CHECK(WEXITSTATUS(l.smtpd->stop(SIGTERM)) == 0);
}

// Remote delivery end to end: the real qmail-send delivers over SMTP to our own qmail-smtpd
// daemon (a second mail root acting as the remote host) or to a scripted server in this
// process, routed by control/smtproutes or through a real DNS server (dnsmasq) on a
// loopback port.
#include "dns_server.hpp"
#include "sender.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <regex>
#include <thread>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

using remotetest::count_of;
using remotetest::Sender;

int free_port(const char* ip = "127.0.0.1") {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip, &a.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// The remote host: our qmail-smtpd daemon on its own mail root; what it accepts stays in
// its queue (no qmail-send there).
struct Peer {
    qmtest::MailRoot root;
    std::string ip;
    int port;
    std::unique_ptr<qmtest::Daemon> smtpd;

    explicit Peer(std::string listen_ip = "127.0.0.1", bool tls = false)
        : ip(std::move(listen_ip))
        , port(free_port(ip.c_str())) {
        root.control("rcpthosts", "remote.example\nplain.example\n");
        if (tls)
            root.server_certificate("mx.remote.example");
        smtpd = root.start(
            {qmtest::bin("qmail-smtpd"), "--listen", ip + ":" + std::to_string(port)}, "smtpd.log");
        REQUIRE(qmtest::wait_for(
            [&] { return smtpd->log().find("status: listening") != std::string::npos; }));
    }
    [[nodiscard]] std::vector<std::string> queued() const {
        return qmtest::list_dir(root / "queue/todo");
    }
    [[nodiscard]] std::string message(const std::string& id) const {
        return qmtest::slurp(root /
                             ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
    }
    [[nodiscard]] std::string envelope(const std::string& id) const {
        return qmtest::slurp(root / ("queue/todo/" + id));
    }
};

// A scripted SMTP server on a loopback port: answer(line, connection number) gives the
// reply to each command (empty: close the connection); after DATA the message is taken
// up to the final dot and answered with answer(".", n).
class FakeServer {
public:
    using Answer = std::function<std::string(const std::string&, int)>;
    explicit FakeServer(Answer answer)
        : answer_(std::move(answer)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    int port = 0;
    [[nodiscard]] std::string transcript() const {
        std::lock_guard lock(mu_);
        return transcript_;
    }
    [[nodiscard]] int connections() const { return connections_; }

private:
    void serve() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0)
                continue;
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0)
                continue;
            session(c, ++connections_);
            ::close(c);
        }
    }
    void put(int c, const std::string& s) {
        if (!s.empty())
            (void)!::write(c, s.data(), s.size());
    }
    void session(int c, int n) {
        put(c, "220 fake ESMTP\r\n");
        std::string buf;
        bool in_data = false;
        for (;;) {
            size_t nl;
            while ((nl = buf.find("\r\n")) != std::string::npos) {
                std::string line = buf.substr(0, nl);
                buf.erase(0, nl + 2);
                {
                    std::lock_guard lock(mu_);
                    transcript_ += line + "\n";
                }
                if (in_data) {
                    if (line != ".")
                        continue;
                    in_data = false;
                }
                std::string reply = answer_(line, n);
                if (reply.empty())
                    return;
                put(c, reply);
                if (line == "DATA" && reply.starts_with("354"))
                    in_data = true;
                if (line == "QUIT")
                    return;
            }
            pollfd p{c, POLLIN, 0};
            if (::poll(&p, 1, 10000) <= 0)
                return;
            char tmp[4096];
            ssize_t got = ::read(c, tmp, sizeof tmp);
            if (got <= 0)
                return;
            buf.append(tmp, static_cast<size_t>(got));
        }
    }

    Answer answer_;
    int fd_ = -1;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    mutable std::mutex mu_;
    std::string transcript_;
};

// The ordinary answers of a server that takes everything.
std::string accept_all(const std::string& line) {
    if (line.starts_with("EHLO"))
        return "250-fake\r\n250 PIPELINING\r\n";
    if (line == "DATA")
        return "354 go ahead\r\n";
    if (line == "QUIT")
        return "221 bye\r\n";
    if (line == ".")
        return "250 ok queued\r\n";
    return "250 ok\r\n";
}

} // namespace

TEST_CASE("remote: qmail-send delivers to qmail-smtpd over SMTP - one connection for all "
          "recipients - bodies safe",
          "[scenario][remote]") {
    Peer peer;
    Sender s;
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(peer.port) + "\n");
    s.start();
    // Dot lines, a line that is only a dot, and the a<CR>.<CR><LF> vector as qmail-smtpd
    // stores it: nothing of it may end the DATA early at the peer.
    const std::string body = "Subject: remote test\n\n.leading dot\n..two\n.\n"
                             "a\r.\nMAIL FROM:<evil@x.example>\nRCPT TO:<victim@x.example>\n"
                             "last line without newline";
    s.inject("alice@test.example", {"joe@remote.example", "ann@Remote.Example"}, body);
    REQUIRE(s.wait_log("end msg "));
    const std::string log = s.log();
    INFO(log);
    CHECK(std::regex_search(
        log, std::regex("starting delivery ([0-9]+): msg [0-9]+ to remote joe@remote.example\n")));
    CHECK(count_of(log, ": success: 127.0.0.1_accepted_message./Remote_host_said:_250_2.0.0_ok_") ==
          2);
    CHECK(log.find("status: local 0/10 remote 1/20\n") != std::string::npos);
    CHECK(s.queue_empty());

    // One message with both recipients arrived: one transaction.
    auto q = peer.queued();
    REQUIRE(q.size() == 1);
    CHECK(peer.envelope(q[0]).find("Tjoe@remote.example\0Tann@Remote.Example\0"s) !=
          std::string::npos);
    const std::string got = peer.message(q[0]);
    INFO(got);
    CHECK(got.find("\nReceived: from unknown (HELO test.example) (127.0.0.1)\n") !=
          std::string::npos);
    CHECK(got.ends_with("Subject: remote test\n\n.leading dot\n..two\n.\n"
                        "a\n.\nMAIL FROM:<evil@x.example>\nRCPT TO:<victim@x.example>\n"
                        "last line without newline\n"));
    CHECK(peer.queued().size() == 1); // no smuggled second message
}

TEST_CASE("remote: opportunistic STARTTLS when the peer offers it", "[scenario][remote][tls]") {
    Peer peer("127.0.0.1", true);
    Sender s;
    s.root.control("smtproutes", "remote.example:[127.0.0.1]:" + std::to_string(peer.port) + "\n");
    s.root.control("helohost", "out.test.example\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example"}, "Subject: tls\n\nsecret\n");
    REQUIRE(s.wait_log("end msg "));
    INFO(s.log());
    CHECK(s.log().find("/TLS:_TLSv1.3_") != std::string::npos);
    CHECK(s.log().find("certificate_not_verified./") != std::string::npos);
    auto q = peer.queued();
    REQUIRE(q.size() == 1);
    const std::string got = peer.message(q[0]);
    CHECK(got.find("(HELO out.test.example)") != std::string::npos);
    CHECK(got.find(" with ESMTPS; ") != std::string::npos);
}

TEST_CASE("remote: a 5xx recipient bounces with the remote's text - the others are delivered",
          "[scenario][remote]") {
    Peer peer;
    Sender s;
    s.root.control("smtproutes", ":127.0.0.1:" + std::to_string(peer.port) + "\n"); // catch-all
    s.start();
    s.inject("alice@test.example", {"joe@remote.example", "victim@other.example"},
             "Subject: half\n\nbody\n");
    REQUIRE(s.wait_log("end msg ", 2)); // the message and then its bounce
    INFO(s.log());
    CHECK(s.log().find("failure: 127.0.0.1_does_not_like_recipient./Remote_host_said:_553_") !=
          std::string::npos);
    CHECK(peer.queued().size() == 1);
    auto b = s.bounces();
    REQUIRE(b.size() == 1);
    CHECK(b[0].find("Hi. This is the qmail-send program at test.example.\n") != std::string::npos);
    CHECK(b[0].find("<victim@other.example>:\n127.0.0.1 does not like recipient.\n"
                    "Remote host said: 553 5.7.1 sorry, that domain isn't in my list of allowed "
                    "rcpthosts") != std::string::npos);
    CHECK(b[0].find("joe@remote.example") == std::string::npos);
    CHECK(b[0].find("\nSubject: half\n\nbody\n") != std::string::npos);
    CHECK(s.queue_empty());
}

TEST_CASE("remote: 4xx defers on the retry schedule - then SIGALRM delivers",
          "[scenario][remote]") {
    std::atomic<bool> busy{true};
    FakeServer fake([&](const std::string& line, int) -> std::string {
        if (line.starts_with("RCPT") && busy)
            return "451 4.3.0 mailbox busy, try later\r\n";
        return accept_all(line);
    });
    Sender s;
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(fake.port) + "\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example", "ann@remote.example"}, "x\n");
    REQUIRE(s.wait_log(": deferral: ", 2));
    INFO(s.log());
    CHECK(count_of(s.log(), "deferral: 127.0.0.1_does_not_like_recipient./Remote_host_said:_451_"
                            "4.3.0_mailbox_busy,_try_later/Giving_up_on_127.0.0.1./") == 2);
    CHECK(fake.connections() == 1);
    // Pipelined: MAIL and both RCPTs, then no DATA; QUIT.
    CHECK(fake.transcript().find("MAIL FROM:<alice@test.example>\nRCPT TO:<joe@remote.example>\n"
                                 "RCPT TO:<ann@remote.example>\nQUIT\n") != std::string::npos);
    CHECK(s.log().find("end msg") == std::string::npos);
    busy = false;
    ::kill(s.send->pid(), SIGALRM);
    REQUIRE(s.wait_log("end msg "));
    CHECK(count_of(s.log(),
                   "success: 127.0.0.1_accepted_message./Remote_host_said:_250_ok_queued/") == 2);
    CHECK(s.bounces().empty());
    CHECK(s.queue_empty());
}

TEST_CASE("remote: a connection lost after the final dot is a deferral: possible duplicate",
          "[scenario][remote]") {
    FakeServer fake([](const std::string& line, int) -> std::string {
        if (line == ".")
            return ""; // hang up instead of answering
        return accept_all(line);
    });
    Sender s;
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(fake.port) + "\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example"}, "x\n");
    REQUIRE(s.wait_log(": deferral: "));
    CHECK(s.log().find("deferral: Connected_to_127.0.0.1_but_connection_died._Possible_duplicate!_"
                       "(#4.4.2)/") != std::string::npos);
    CHECK(fake.transcript().find("DATA\n") != std::string::npos);
}

TEST_CASE("remote: a refused connection is a deferral and the message stays queued",
          "[scenario][remote]") {
    Sender s;
    const int port = free_port(); // nobody listens there
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(port) + "\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example"}, "x\n");
    REQUIRE(s.wait_log(": deferral: "));
    CHECK(
        s.log().find("deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/") !=
        std::string::npos);
    CHECK(WEXITSTATUS(s.send->stop(SIGTERM)) == 0);
    CHECK(s.bounces().empty());
    CHECK_FALSE(s.queue_empty());
}

using qmtest::DnsServer;

TEST_CASE("remote: MX and A records from a real DNS server - best MX first - the next one when it "
          "is down",
          "[scenario][remote][dns]") {
    Peer peer("127.0.0.2");
    DnsServer dns({"--mx-host=remote.example,mx.remote.example,10",
                   "--mx-host=remote.example,dead.remote.example,5",
                   "--host-record=mx.remote.example,127.0.0.2",
                   "--host-record=dead.remote.example,127.0.0.3",
                   "--host-record=plain.example,127.0.0.2"});
    Sender s;
    s.root.control("dnsservers", dns.address() + "\n");
    // MX lookups as usual (empty relay), but to the peer's port instead of 25.
    const std::string port = std::to_string(peer.port);
    s.root.control("smtproutes", "remote.example::" + port + "\nplain.example::" + port + "\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example", "bob@plain.example"},
             "Subject: mx\n\nx\n");
    REQUIRE(s.wait_log("end msg "));
    INFO(s.log());
    CHECK(count_of(s.log(), "success: 127.0.0.2_accepted_message./") == 2);
    // Two domains, two transactions; the dead best MX was asked first.
    CHECK(peer.queued().size() == 2);
    const std::string queries = dns.daemon->log();
    CHECK(queries.find("query[MX] remote.example") != std::string::npos);
    CHECK(queries.find("query[MX] plain.example") != std::string::npos);
    CHECK(queries.find("query[A] dead.remote.example") != std::string::npos);
    CHECK(s.queue_empty());
}

TEST_CASE("remote: no such domain and 'I am the best MX' bounce - an unreachable DNS server defers",
          "[scenario][remote][dns]") {
    DnsServer dns(
        {"--mx-host=self.example,mx.self.example,10", "--host-record=mx.self.example,127.0.0.1"});
    Sender s;
    s.start(); // QMAIL_DNS_SERVER instead of control/dnsservers
    s.send->stop();
    s.send = s.root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send-env.log",
                          {.env = {{"QMAIL_DNS_SERVER", dns.address()}}});
    s.log_name = "send-env.log";
    REQUIRE(qmtest::wait_for([&] { return s.log().find("status: local") != std::string::npos; }));
    s.inject("alice@test.example", {"x@nowhere.example", "y@self.example"}, "x\n");
    REQUIRE(s.wait_log("end msg ", 2));
    auto b = s.bounces();
    REQUIRE(b.size() == 1);
    INFO(b[0]);
    CHECK(b[0].find("<x@nowhere.example>:\nSorry, I couldn't find any host named "
                    "nowhere.example. (#5.1.2)\n") != std::string::npos);
    CHECK(b[0].find("<y@self.example>:\nSorry. Although I'm listed as a best-preference MX or A "
                    "for that host,\nit isn't in my control/locals file, so I don't treat it as "
                    "local. (#5.4.6)\n") != std::string::npos);

    // A resolver nobody answers at: temporary.
    s.send->stop();
    s.root.control("dnsservers", "127.0.0.1:" + std::to_string(free_port()) + "\n");
    s.start();
    s.inject("alice@test.example", {"z@nowhere.example"}, "x\n");
    REQUIRE(s.wait_log(": deferral: Sorry,_I_couldn't_find_any_host_by_that_name._(#4.1.2)/"));
}

TEST_CASE("remote: HELO when EHLO is refused - one command at a time without PIPELINING",
          "[scenario][remote]") {
    FakeServer fake([](const std::string& line, int) -> std::string {
        if (line.starts_with("EHLO"))
            return "502 5.5.1 what is EHLO\r\n";
        if (line.starts_with("HELO"))
            return "250 fake\r\n";
        if (line == "RCPT TO:<no@remote.example>")
            return "550 5.1.1 no such user\r\n";
        return accept_all(line);
    });
    Sender s;
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(fake.port) + "\n");
    s.start();
    s.inject("", {"yes@remote.example", "no@remote.example"}, "x\n");
    REQUIRE(s.wait_log("success: 127.0.0.1_accepted_message./"));
    REQUIRE(s.wait_log("failure: 127.0.0.1_does_not_like_recipient./"
                       "Remote_host_said:_550_5.1.1_no_such_user/"));
    INFO(fake.transcript());
    CHECK(fake.transcript().starts_with("EHLO test.example\nHELO test.example\nMAIL FROM:<>\n"
                                        "RCPT TO:<yes@remote.example>\n"
                                        "RCPT TO:<no@remote.example>\nDATA\n"));
}

TEST_CASE("remote: past queuelifetime a deferral becomes a bounce", "[scenario][remote]") {
    FakeServer fake([](const std::string& line, int) -> std::string {
        if (line.starts_with("MAIL"))
            return "421 4.3.2 closing for maintenance\r\n";
        return accept_all(line);
    });
    Sender s;
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(fake.port) + "\n");
    s.root.control("queuelifetime", "0\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example"}, "x\n");
    // The first attempt may already be past a lifetime of 0 s; then it is the last one.
    REQUIRE(qmtest::wait_for([&] {
        if (s.log().find(": failure: ") != std::string::npos)
            return true;
        if (s.log().find(": deferral: ") != std::string::npos) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1100));
            ::kill(s.send->pid(), SIGALRM);
            return s.wait_log(": failure: ");
        }
        return false;
    }));
    REQUIRE(s.wait_log("end msg ", 2));
    auto b = s.bounces();
    REQUIRE(b.size() == 1);
    CHECK(b[0].find("<joe@remote.example>:\nConnected to 127.0.0.1 but sender was rejected.\n"
                    "Remote host said: 421 4.3.2 closing for maintenance\n"
                    "I'm not going to try again; this message has been in the queue too long.\n") !=
          std::string::npos);
}

TEST_CASE("remote: the next message to the same host reuses the connection", "[scenario][remote]") {
    FakeServer fake([](const std::string& line, int) { return accept_all(line); });
    Sender s;
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(fake.port) + "\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example"}, "first\n");
    REQUIRE(s.wait_log("end msg "));
    s.inject("alice@test.example", {"ann@remote.example"}, "second\n");
    REQUIRE(s.wait_log("end msg ", 2));
    INFO(fake.transcript());
    CHECK(fake.connections() == 1);
    CHECK(count_of(fake.transcript(), "EHLO ") == 1);
    CHECK(fake.transcript().find("\nRSET\nMAIL FROM:<alice@test.example>\n"
                                 "RCPT TO:<ann@remote.example>\nDATA\n") != std::string::npos);
    // Idle for longer than the reuse limit: QUIT.
    CHECK(qmtest::wait_for([&] { return fake.transcript().ends_with("QUIT\n"); },
                           std::chrono::seconds(15)));
}

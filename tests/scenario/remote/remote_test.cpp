// Remote delivery end to end: the real qmail-send delivers over SMTP to our own qmail-smtpd
// daemon (a second mail root acting as the remote host) or to a scripted server in this
// process, routed by control/smtproutes or through a real DNS server (dnsmasq) on a
// loopback port.
#include "dns_server.hpp"
#include "qm/netstring.hpp"
#include "qm/qmtp/framing.hpp"
#include "sender.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <regex>
#include <thread>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

using remotetest::count_of;
using remotetest::listen_address;
using remotetest::Peer;
using remotetest::Sender;

using qmtest::free_port;

// A server thread on an IPv4 address: each connection in turn goes to session(fd, its
// number from 1), and is closed after it.
class ScriptedListener {
public:
    using Session = std::function<void(int fd, int n)>;
    ScriptedListener(const std::string& ip, Session session)
        : session_(std::move(session)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        REQUIRE(::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) == 1);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedListener() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    ScriptedListener(const ScriptedListener&) = delete;
    ScriptedListener& operator=(const ScriptedListener&) = delete;
    int port = 0;
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
            session_(c, ++connections_);
            ::close(c);
        }
    }

    Session session_;
    int fd_ = -1;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
};

// A scripted SMTP server on a loopback port: answer(line, connection number) gives the
// reply to each command (empty: close the connection); after DATA the message is taken
// up to the final dot and answered with answer(".", n).
class FakeServer {
public:
    using Answer = std::function<std::string(const std::string&, int)>;
    explicit FakeServer(Answer answer)
        : answer_(std::move(answer)) {
        port = listener_.port;
    }
    int port = 0;
    [[nodiscard]] std::string transcript() const {
        std::lock_guard lock(mu_);
        return transcript_;
    }
    [[nodiscard]] int connections() const { return listener_.connections(); }

private:
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
    mutable std::mutex mu_;
    std::string transcript_;
    // Last: its thread stops before the members it uses go.
    ScriptedListener listener_{"127.0.0.1", [this](int c, int n) { session(c, n); }};
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

// Starts qmail-send with mail for remote.example routed to 127.0.0.1:port
// (control/smtproutes), the scripted or real server the test runs there.
void start_sending_to(Sender& s, int port) {
    s.root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(port) + "\n");
    s.start();
}

} // namespace

TEST_CASE("remote: qmail-send delivers to qmail-smtpd over SMTP - one connection for all "
          "recipients - bodies safe",
          "[scenario][remote]") {
    Peer peer;
    Sender s;
    start_sending_to(s, peer.port);
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
        if (line == "DATA" && busy) // as Postfix answers a pipelined DATA then
            return "554 5.5.1 Error: no valid recipients\r\n";
        return accept_all(line);
    });
    Sender s;
    start_sending_to(s, fake.port);
    s.inject("alice@test.example", {"joe@remote.example", "ann@remote.example"}, "x\n");
    REQUIRE(s.wait_log(": deferral: ", 2));
    INFO(s.log());
    CHECK(count_of(s.log(), "deferral: 127.0.0.1_does_not_like_recipient./Remote_host_said:_451_"
                            "4.3.0_mailbox_busy,_try_later/Giving_up_on_127.0.0.1./") == 2);
    CHECK(fake.connections() == 1);
    // Pipelined: MAIL, both RCPTs and DATA, refused; QUIT. qmail-send reports without
    // waiting for QUIT's reply, so the fake server may read QUIT after the log says so.
    CHECK(qmtest::wait_for([&] {
        return fake.transcript().find(
                   "MAIL FROM:<alice@test.example>\nRCPT TO:<joe@remote.example>\n"
                   "RCPT TO:<ann@remote.example>\nDATA\nQUIT\n") != std::string::npos;
    }));
    CHECK(s.log().find("end msg") == std::string::npos);
    busy = false;
    ::kill(s.send->pid(), SIGALRM);
    REQUIRE(s.wait_log("end msg "));
    CHECK(count_of(s.log(),
                   "success: 127.0.0.1_accepted_message./Remote_host_said:_250_ok_queued/") == 2);
    CHECK(s.bounces().empty());
    CHECK(s.queue_empty());
}

TEST_CASE("remote: a pipelined DATA that gets 354 with every recipient refused sends no body",
          "[scenario][remote]") {
    FakeServer fake([](const std::string& line, int) -> std::string {
        if (line.starts_with("RCPT"))
            return "550 5.1.1 no such user\r\n";
        return accept_all(line); // 354 to DATA all the same, as a broken server might
    });
    Sender s;
    start_sending_to(s, fake.port);
    s.inject("alice@test.example", {"joe@remote.example"}, "secret body\n");
    REQUIRE(s.wait_log("end msg "));
    INFO(s.log());
    CHECK(s.log().find("failure: 127.0.0.1_does_not_like_recipient./Remote_host_said:_550_5.1.1_"
                       "no_such_user/Giving_up_on_127.0.0.1./") != std::string::npos);
    // The connection was dropped, so the server's transaction ended with no body.
    CHECK(qmtest::wait_for([&] { return fake.transcript().ends_with("DATA\n"); }));
    CHECK(fake.transcript().find("secret body") == std::string::npos);
}

TEST_CASE("remote: a connection lost after the final dot is a deferral: possible duplicate",
          "[scenario][remote]") {
    FakeServer fake([](const std::string& line, int) -> std::string {
        if (line == ".")
            return ""; // hang up instead of answering
        return accept_all(line);
    });
    Sender s;
    start_sending_to(s, fake.port);
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
    start_sending_to(s, port);
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
    start_sending_to(s, fake.port);
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
    s.root.control("queuelifetime", "0\n");
    start_sending_to(s, fake.port);
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

namespace {

// Two messages to remote.example, the second queued once the first has ended.
void send_two_in_turn(Sender& s, int port) {
    start_sending_to(s, port);
    s.inject("alice@test.example", {"joe@remote.example"}, "first\n");
    REQUIRE(s.wait_log("end msg "));
    s.inject("alice@test.example", {"ann@remote.example"}, "second\n");
    REQUIRE(s.wait_log("end msg ", 2));
}

} // namespace

TEST_CASE("remote: the next message to the same host reuses the connection", "[scenario][remote]") {
    FakeServer fake([](const std::string& line, int) { return accept_all(line); });
    Sender s;
    send_two_in_turn(s, fake.port);
    INFO(fake.transcript());
    CHECK(fake.connections() == 1);
    CHECK(count_of(fake.transcript(), "EHLO ") == 1);
    CHECK(fake.transcript().find("\nRSET\nMAIL FROM:<alice@test.example>\n"
                                 "RCPT TO:<ann@remote.example>\nDATA\n") != std::string::npos);
    // Idle for longer than the reuse limit: QUIT.
    CHECK(qmtest::wait_for([&] { return fake.transcript().ends_with("QUIT\n"); },
                           std::chrono::seconds(15)));
}

TEST_CASE("remote: a parked connection the server dropped costs only a fresh connect",
          "[scenario][remote]") {
    // The first connection ends at the RSET that leads the next batch (RSET, MAIL and RCPT
    // in one write): the message goes on a new connection, not a deferral.
    FakeServer fake([](const std::string& line, int n) {
        return n == 1 && line == "RSET" ? std::string() : accept_all(line);
    });
    Sender s;
    send_two_in_turn(s, fake.port);
    INFO(fake.transcript());
    INFO(s.log());
    CHECK(fake.connections() == 2);
    CHECK(s.log().find("deferral") == std::string::npos);
    CHECK(count_of(s.log(), ": success: ") == 2);
    CHECK(fake.transcript().find("\nRSET\nEHLO ") != std::string::npos);
    CHECK(count_of(fake.transcript(), "RCPT TO:<ann@remote.example>") == 1);
    CHECK(count_of(fake.transcript(), "DATA") == 2);
}

namespace {

// lock/tcpto as a test writes it: qmail's 16-byte records (address, count, little-endian
// time), the rest of the 1024 bytes zero.
struct TcptoRecord {
    std::string ip; // dotted quad
    unsigned count;
    std::time_t when;
};
std::string tcpto_bytes(const std::vector<TcptoRecord>& records) {
    std::string file(1024, '\0');
    for (size_t i = 0; i < records.size(); ++i) {
        char* r = file.data() + 16 * i;
        REQUIRE(::inet_pton(AF_INET, records[i].ip.c_str(), r) == 1);
        r[4] = static_cast<char>(records[i].count);
        auto when = static_cast<std::uint32_t>(records[i].when);
        for (int k = 0; k < 4; ++k, when >>= 8)
            r[8 + k] = static_cast<char>(when & 0xff);
    }
    return file;
}

// A loopback port where a connect times out, as to a host that is down, without root: the
// listener's queue is full (backlog 0 and one connection never accepted), so Linux drops
// further SYNs.
struct Blackhole {
    int listener = -1;
    int filler = -1;
    int port = 0;
    Blackhole() {
        listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(listener, 0) == 0);
        socklen_t len = sizeof a;
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        filler = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(::connect(filler, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~Blackhole() {
        ::close(filler);
        ::close(listener);
    }
    Blackhole(const Blackhole&) = delete;
    Blackhole& operator=(const Blackhole&) = delete;
};

} // namespace

TEST_CASE("remote: a connect timeout goes in lock/tcpto - qmail-tcpto prints it - qmail-tcpok "
          "clears it",
          "[scenario][remote][tcpto]") {
    Blackhole hole;
    Sender s;
    s.root.control("timeoutconnect", "1\n");
    start_sending_to(s, hole.port);
    s.inject("alice@test.example", {"joe@remote.example"}, "x\n");
    REQUIRE(
        s.wait_log(": deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/"));

    const std::string table = qmtest::slurp(s.root / "queue/lock/tcpto");
    REQUIRE(table.size() == 1024);
    CHECK(table.substr(0, 5) == "\x7f\x00\x00\x01\x01"s); // 127.0.0.1, one timeout
    CHECK(table.substr(16) == std::string(1024 - 16, '\0'));
    auto listed = s.root.run({qmtest::bin("qmail-tcpto")});
    CHECK(listed.exit_code == 0);
    CHECK(std::regex_match(listed.out, std::regex("127\\.0\\.0\\.1 timed out [0-9]+ seconds ago; "
                                                  "# recent timeouts: 1\n")));

    auto ok = s.root.run({qmtest::bin("qmail-tcpok")});
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.empty());
    CHECK(qmtest::slurp(s.root / "queue/lock/tcpto") == std::string(1024, '\0'));
    CHECK(s.root.run({qmtest::bin("qmail-tcpto")}).out.empty());
}

TEST_CASE("remote: qmail-tcpto prints qmail's table and lock/tcpto6 - both programs have --help",
          "[scenario][remote][tcpto]") {
    qmtest::MailRoot root;
    const std::time_t now = std::time(nullptr);
    qmtest::spit(root / "queue/lock/tcpto",
                 tcpto_bytes({{"192.0.2.1", 0, now}, {"192.0.2.2", 3, now - 100000}}));
    std::string v6(2048, '\0');
    v6[15] = 1; // ::1
    v6[16] = 2;
    qmtest::spit(root / "queue/lock/tcpto6", v6);
    auto r = root.run({qmtest::bin("qmail-tcpto")});
    CHECK(r.exit_code == 0);
    CHECK(std::regex_match(r.out, std::regex("192\\.0\\.2\\.2 timed out 10000[0-9] seconds ago; "
                                             "# recent timeouts: 3\n"
                                             "::1 timed out [0-9]+ seconds ago; "
                                             "# recent timeouts: 2\n")));
    for (const char* program : {"qmail-tcpto", "qmail-tcpok"}) {
        auto h = qmtest::run({qmtest::bin(program), "--help"});
        CHECK(h.exit_code == 0);
        CHECK(h.out.starts_with("usage: "s + program + "\n"));
    }
}

TEST_CASE("remote: an address lock/tcpto marks down is skipped for the next MX - alone it defers "
          "- qmail-tcpok lets it be tried",
          "[scenario][remote][tcpto][dns]") {
    Peer up("127.0.0.2");
    Peer down("127.0.0.3", false, up.port); // alive, but the table says otherwise
    DnsServer dns({"--mx-host=remote.example,down.remote.example,5",
                   "--mx-host=remote.example,mx.remote.example,10",
                   "--host-record=down.remote.example,127.0.0.3",
                   "--host-record=mx.remote.example,127.0.0.2"});
    Sender s;
    s.root.control("dnsservers", dns.address() + "\n");
    const std::string port = std::to_string(up.port);
    s.root.control("smtproutes",
                   "remote.example::" + port + "\nplain.example:127.0.0.3:" + port + "\n");
    // 127.0.0.3 timed out twice, the last time just now: down. 127.0.0.2 once: still tried.
    const std::time_t now = std::time(nullptr);
    qmtest::spit(s.root / "queue/lock/tcpto",
                 tcpto_bytes({{"127.0.0.3", 2, now}, {"127.0.0.2", 1, now}}));
    s.start();

    s.inject("alice@test.example", {"joe@remote.example"}, "Subject: skip\n\nx\n");
    REQUIRE(s.wait_log("success: 127.0.0.2_accepted_message./"));
    CHECK(up.queued().size() == 1);
    CHECK(down.queued().empty());
    CHECK(dns.daemon->log().find("query[A] down.remote.example") != std::string::npos);
    // The connection to 127.0.0.2 reset its count: only 127.0.0.3 is listed.
    auto listed = s.root.run({qmtest::bin("qmail-tcpto")});
    INFO(listed.out);
    CHECK(listed.out.starts_with("127.0.0.3 timed out "));
    CHECK(listed.out.find("127.0.0.2") == std::string::npos);

    // A domain whose only address is down waits, saying why.
    s.inject("alice@test.example", {"bob@plain.example"}, "Subject: alone\n\nx\n");
    REQUIRE(s.wait_log(": deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._"
                       "(#4.4.1)/Not_tried:_127.0.0.3,_where_connections_timed_out_recently_"
                       "(see_qmail-tcpto;_qmail-tcpok_forgets_them)./"));
    CHECK(down.queued().empty());

    REQUIRE(s.root.run({qmtest::bin("qmail-tcpok")}).exit_code == 0);
    ::kill(s.send->pid(), SIGALRM);
    REQUIRE(s.wait_log("success: 127.0.0.3_accepted_message./"));
    CHECK(down.queued().size() == 1);
}

namespace {

// A scripted QMTP server on ip: each connection's package goes through qm::qmtp's parser
// and each recipient gets the next answer (a response's payload, such as "Kok").
// A QMTP server answering each package's recipients from answers (in order; Zno answer
// beyond them), any number of packages per connection. The package numbered drop_package
// (from 1, over all connections) is read and left unanswered: the connection closes, as
// a peer that dies or closes an idle connection would.
class FakeQmtp {
public:
    FakeQmtp(const std::string& ip, std::vector<std::string> answers, int drop_package = 0)
        : answers_(std::move(answers))
        , drop_package_(drop_package)
        , listener_(ip, [this](int c, int) { session(c); }) {
        port = listener_.port;
    }

    int port = 0;
    struct Package {
        std::string message, sender;
        std::vector<std::string> recipients;
        int connection = 0; // 1 for the first connection accepted, ...
    };
    // The packages answered.
    [[nodiscard]] std::vector<Package> packages() const {
        std::lock_guard lock(mu_);
        return packages_;
    }
    [[nodiscard]] int connections() const { return listener_.connections(); }

private:
    void session(int c) {
        qm::qmtp::QmtpParser parser;
        Package got;
        std::string buf;
        size_t pos = 0;
        for (;;) {
            size_t used = 0;
            const auto e = parser.feed(std::string_view(buf).substr(pos), used);
            pos += used;
            using qm::qmtp::Event;
            if (e == Event::message_data)
                got.message += parser.data();
            else if (e == Event::sender)
                got.sender = parser.address();
            else if (e == Event::recipient)
                got.recipients.emplace_back(parser.address());
            else if (e == Event::error)
                return;
            else if (e == Event::end) {
                if (++seen_ == drop_package_)
                    return;
                std::string reply;
                for (size_t i = 0; i < got.recipients.size(); ++i)
                    reply +=
                        qm::netstring::encode(i < answers_.size() ? answers_[i] : "Zno answer");
                got.connection = listener_.connections();
                {
                    // Kept before answering: once answered, the test may look.
                    std::lock_guard lock(mu_);
                    packages_.push_back(std::move(got));
                }
                got = {};
                (void)!::write(c, reply.data(), reply.size());
            } else if (e == Event::more) {
                pollfd p{c, POLLIN, 0};
                char tmp[4096];
                const ssize_t n = ::poll(&p, 1, 10000) > 0 ? ::read(c, tmp, sizeof tmp) : -1;
                if (n <= 0)
                    return;
                buf.erase(0, pos);
                pos = 0;
                buf.append(tmp, static_cast<size_t>(n));
            }
        }
    }

    std::vector<std::string> answers_;
    int drop_package_;
    int seen_ = 0; // packages read, on the listener's thread
    mutable std::mutex mu_;
    std::vector<Package> packages_;
    ScriptedListener listener_; // last: its thread stops before the members it uses go
};

// The receiving host for QMTP: qmail-qmtpd and qmail-smtpd on one address, and qmail-send
// delivering qmtp.example to joe's maildir.
struct QmtpHost {
    qmtest::MailRoot root;
    std::string ip = "127.0.0.2"; // not this host's own address: the local-MX rule allows it
    int qmtp_port = 0;
    int smtp_port = 0;
    std::unique_ptr<qmtest::Daemon> qmtpd, smtpd, send;

    QmtpHost() {
        root.control("locals", "qmtp.example\n");
        root.control("rcpthosts", "qmtp.example\n");
        root.add_user("joe");
        qmtp_port = free_port(ip);
        qmtpd = root.start({qmtest::bin("qmail-qmtpd"), "--listen", listen_address(ip, qmtp_port)},
                           "qmtpd.log");
        REQUIRE(qmtest::wait_for(
            [&] { return qmtpd->log().find("status: listening") != std::string::npos; }));
        smtp_port = free_port(ip);
        smtpd = root.start({qmtest::bin("qmail-smtpd"), "--listen", listen_address(ip, smtp_port)},
                           "smtpd.log");
        REQUIRE(qmtest::wait_for(
            [&] { return smtpd->log().find("status: listening") != std::string::npos; }));
        send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
    }
    [[nodiscard]] std::vector<std::string> mailbox() const {
        std::vector<std::string> out;
        for (const auto& f : qmtest::list_dir(root / "users/joe/Maildir/new"))
            out.push_back(qmtest::slurp(root / ("users/joe/Maildir/new/" + f)));
        return out;
    }
};

} // namespace

TEST_CASE("remote: an MX at distance 12801 gets the message over QMTP - with qmail-qmtpd down, "
          "over SMTP",
          "[scenario][remote][qmtp][dns]") {
    QmtpHost host;
    DnsServer dns({"--mx-host=qmtp.example,mx.qmtp.example,12801",
                   "--host-record=mx.qmtp.example,127.0.0.2"});
    Sender s;
    s.root.control("dnsservers", dns.address() + "\n");
    s.root.control("qmtpport", std::to_string(host.qmtp_port) + "\n");
    // SMTP, when it comes to that, goes to the MX on qmail-smtpd's port.
    s.root.control("smtproutes", "qmtp.example::" + std::to_string(host.smtp_port) + "\n");
    s.start();

    s.inject("alice@test.example", {"joe@qmtp.example"}, "Subject: by qmtp\n\nfirst\n");
    REQUIRE(s.wait_log("success: 127.0.0.2_accepted_message_via_QMTP./Remote_host_said:_ok_"));
    REQUIRE(qmtest::wait_for([&] { return host.mailbox().size() == 1; }));
    const std::string first = host.mailbox()[0];
    INFO(first);
    CHECK(first.find("Delivered-To: joe@qmtp.example\n") != std::string::npos);
    CHECK(first.find(" with QMTP; ") != std::string::npos);
    CHECK(first.ends_with("Subject: by qmtp\n\nfirst\n"));

    // No QMTP listener: the same address over SMTP, with an 8-bit body intact.
    host.qmtpd->stop();
    s.inject("alice@test.example", {"joe@qmtp.example"}, "Subject: by smtp\n\ncaf\xc3\xa9\n");
    REQUIRE(s.wait_log("success: 127.0.0.2_accepted_message./Remote_host_said:_250_"));
    REQUIRE(qmtest::wait_for([&] { return host.mailbox().size() == 2; }));
    bool by_smtp = false;
    for (const auto& m : host.mailbox())
        if (m.ends_with("Subject: by smtp\n\ncaf\xc3\xa9\n"))
            by_smtp = m.find(" with ESMTP; ") != std::string::npos;
    CHECK(by_smtp);
    CHECK(s.queue_empty());
}

TEST_CASE("remote: QMTP answers per recipient - K delivered, Z deferred, D bounced - the package "
          "is qmail's framing",
          "[scenario][remote][qmtp][dns]") {
    FakeQmtp fake("127.0.0.2",
                  {"Kok 838640135 qp 1390", "Zmailbox busy (#4.2.1)", "Dno such user (#5.1.1)"});
    DnsServer dns({"--mx-host=remote.example,mx.remote.example,12817",
                   "--host-record=mx.remote.example,127.0.0.2"});
    Sender s;
    s.root.control("dnsservers", dns.address() + "\n");
    s.root.control("qmtpport", std::to_string(fake.port) + "\n");
    s.start();
    s.inject("alice@test.example", {"a@remote.example", "b@remote.example", "c@remote.example"},
             "Subject: three\n\n1:not a netstring,\n");
    for (const char* outcome : {": success: ", ": deferral: ", ": failure: "})
        REQUIRE(s.wait_log(outcome));
    const std::string log = s.log();
    INFO(log);
    CHECK(log.find("success: 127.0.0.2_accepted_message_via_QMTP./"
                   "Remote_host_said:_ok_838640135_qp_1390/") != std::string::npos);
    CHECK(log.find("deferral: 127.0.0.2_did_not_accept_the_message_via_QMTP./"
                   "Remote_host_said:_mailbox_busy_(#4.2.1)/") != std::string::npos);
    CHECK(log.find("failure: 127.0.0.2_did_not_accept_the_message_via_QMTP./"
                   "Remote_host_said:_no_such_user_(#5.1.1)/") != std::string::npos);

    const auto packages = fake.packages();
    REQUIRE(packages.size() == 1);
    CHECK(packages[0].sender == "alice@test.example");
    CHECK(packages[0].recipients ==
          std::vector<std::string>{"a@remote.example", "b@remote.example", "c@remote.example"});
    CHECK(packages[0].message.ends_with("\nSubject: three\n\n1:not a netstring,\n"));
    CHECK(packages[0].message.starts_with("Received: "));
}

TEST_CASE("remote: qmtproutes sends a domain over QMTP without DNS - one connection carries the "
          "next packages - a parked connection the peer dropped costs only a reconnect",
          "[scenario][remote][qmtp]") {
    // The third package is read and not answered: the peer closed a reused connection.
    FakeQmtp fake("127.0.0.2", {"Kok 1 qp 1"}, 3);
    Sender s;
    // No dnsservers: a route to an address needs no lookup. smtproutes would say SMTP;
    // qmtproutes is looked at first.
    s.root.control("qmtproutes", "lists.example:127.0.0.2:" + std::to_string(fake.port) + "\n");
    s.root.control("smtproutes", "lists.example:127.0.0.2:1\n");
    s.start();
    for (int i = 1; i <= 3; ++i) {
        s.inject("list-return-" + std::to_string(i) + "-@test.example", {"r@lists.example"},
                 "Subject: copy " + std::to_string(i) + "\n\nbody\n");
        REQUIRE(s.wait_log("success: 127.0.0.2_accepted_message_via_QMTP./", i));
    }
    const std::string log = s.log();
    INFO(log);
    CHECK(log.find("deferral:") == std::string::npos);
    CHECK(s.queue_empty());
    const auto packages = fake.packages();
    REQUIRE(packages.size() == 3);
    // The first two rode one connection; the third was tried on it, met its end, and
    // went over a new one at once, with no deferral.
    CHECK(packages[0].connection == 1);
    CHECK(packages[1].connection == 1);
    CHECK(packages[2].connection == 2);
    CHECK(fake.connections() == 2);
    for (int i = 0; i < 3; ++i) {
        CHECK(packages[static_cast<size_t>(i)].sender ==
              "list-return-" + std::to_string(i + 1) + "-@test.example");
        CHECK(packages[static_cast<size_t>(i)].message.ends_with(
            "\nSubject: copy " + std::to_string(i + 1) + "\n\nbody\n"));
    }
}

TEST_CASE("remote: a qmtproutes domain whose QMTP port is shut is deferred - never sent by SMTP",
          "[scenario][remote][qmtp]") {
    FakeServer smtp([](const std::string& line, int) { return accept_all(line); });
    const int shut = free_port("127.0.0.2");
    Sender s;
    s.root.control("qmtproutes", "lists.example:127.0.0.2:" + std::to_string(shut) + "\n");
    s.root.control("smtproutes", ":127.0.0.1:" + std::to_string(smtp.port) + "\n");
    s.start();
    s.inject("alice@test.example", {"r@lists.example"}, "Subject: q\n\nbody\n");
    REQUIRE(s.wait_log("deferral: Sorry,_I_wasn't_able_to_establish_a_QMTP_connection._(#4.4.1)/"));
    CHECK(smtp.transcript().empty());
}

TEST_CASE("remote: a bare CR in a header neither splits the field nor adds one at the next hop",
          "[scenario][remote]") {
    FakeServer fake([](const std::string& line, int) { return accept_all(line); });
    Sender s;
    // In through qmail-smtpd (a relay client), which stores the CR as a space ...
    auto e = s.root.env();
    e["TCPREMOTEIP"] = "192.0.2.7";
    e["RELAYCLIENT"] = "";
    auto r = s.root.run({qmtest::bin("qmail-smtpd")},
                        {.stdin_data = "HELO c\r\nMAIL FROM:<alice@test.example>\r\n"
                                       "RCPT TO:<joe@remote.example>\r\nDATA\r\n"
                                       "Subject: a\rX-Injected: yes\r\n\r\nbody\r\n.\r\nQUIT\r\n",
                         .env = e});
    REQUIRE(r.out.find("250 2.0.0 ok") != std::string::npos);
    // ... and straight into the queue, as a queue written by older code may hold it.
    s.inject("alice@test.example", {"ann@remote.example"},
             "Subject: b\rX-Queued: yes\n\nbody\rsplit\n");
    start_sending_to(s, fake.port);
    REQUIRE(s.wait_log("end msg ", 2));
    const std::string wire = fake.transcript();
    INFO(wire);
    CHECK(wire.find("\nSubject: a X-Injected: yes\n") != std::string::npos);
    CHECK(wire.find("\nSubject: b X-Queued: yes\n") != std::string::npos);
    CHECK(wire.find("\nX-Injected") == std::string::npos);
    CHECK(wire.find("\nX-Queued") == std::string::npos);
    CHECK(wire.find('\r') == std::string::npos); // nothing raw: RFC 5321 section 2.3.8
    // In the body a bare CR is still a line break (no header can come of it).
    CHECK(wire.find("\nbody\nsplit\n") != std::string::npos);
}

TEST_CASE("remote: MAIL FROM carries SIZE= when offered - BODY=8BITMIME only for 8-bit messages",
          "[scenario][remote]") {
    FakeServer fake([](const std::string& line, int) -> std::string {
        if (line.starts_with("EHLO"))
            return "250-fake\r\n250-SIZE 10000000\r\n250-8BITMIME\r\n250 PIPELINING\r\n";
        return accept_all(line);
    });
    Sender s;
    start_sending_to(s, fake.port);
    s.inject("alice@test.example", {"joe@remote.example"}, "Subject: eight\n\ncaf\xc3\xa9\n");
    REQUIRE(s.wait_log("end msg "));
    s.inject("alice@test.example", {"ann@remote.example"}, "Subject: seven\n\nplain\n");
    REQUIRE(s.wait_log("end msg ", 2));
    const std::string t = fake.transcript();
    INFO(t);
    // SIZE is the message as sent: every line and its CRLF.
    auto size_of_data = [&](size_t from) {
        size_t start = t.find("\nDATA\n", from);
        REQUIRE(start != std::string::npos);
        start += 6;
        const size_t end = t.find("\n.\n", start - 1);
        REQUIRE(end != std::string::npos);
        size_t bytes = 0;
        for (size_t pos = start; pos <= end;) {
            const size_t nl = t.find('\n', pos);
            bytes += nl - pos + 2;
            pos = nl + 1;
        }
        return bytes;
    };
    std::smatch m;
    REQUIRE(std::regex_search(
        t, m, std::regex("MAIL FROM:<alice@test.example> SIZE=([0-9]+) BODY=8BITMIME\n")));
    CHECK(std::stoul(m[1]) == size_of_data(0));
    const size_t second = t.find("RCPT TO:<ann@remote.example>");
    REQUIRE(std::regex_search(
        t, m, std::regex("MAIL FROM:<alice@test.example> SIZE=([0-9]+)\nRCPT TO:<ann@")));
    CHECK(std::stoul(m[1]) == size_of_data(second));
}

TEST_CASE("remote: delivery over IPv6 to an AAAA-only relay", "[scenario][remote][dns][ipv6]") {
    {
        const int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        const bool has_v6 =
            probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        if (probe >= 0)
            ::close(probe);
        if (!has_v6)
            return qmtest::skip("no IPv6 loopback (::1) on this machine");
    }
    Peer peer("::1");
    DnsServer dns({"--host-record=mx6.remote.example,::1"});
    Sender s;
    s.root.control("dnsservers", dns.address() + "\n");
    s.root.control("smtproutes",
                   "remote.example:mx6.remote.example:" + std::to_string(peer.port) + "\n");
    s.start();
    s.inject("alice@test.example", {"joe@remote.example"}, "Subject: six\n\nx\n");
    REQUIRE(s.wait_log("end msg "));
    INFO(s.log());
    CHECK(s.log().find("success: ::1_accepted_message./Remote_host_said:_250_") !=
          std::string::npos);
    CHECK(dns.daemon->log().find("query[AAAA] mx6.remote.example") != std::string::npos);
    auto q = peer.queued();
    REQUIRE(q.size() == 1);
    CHECK(peer.message(q[0]).find("(::1)") != std::string::npos);
    CHECK(s.queue_empty());
}

TEST_CASE("qmail-remote by hand: a report per answered recipient, then the message's",
          "[scenario][remote][qmail-remote]") {
    FakeServer server([](const std::string& line, int) -> std::string {
        if (line == "RCPT TO:<nobody@remote.example>")
            return "550 5.1.1 no such user\r\n";
        if (line == "RCPT TO:<later@remote.example>")
            return "451 4.3.0 try later\r\n";
        return accept_all(line);
    });
    qmtest::MailRoot root;
    root.control("me", "test.example\n");
    root.control("smtproutes", "remote.example:127.0.0.1:" + std::to_string(server.port) + "\n");
    // The message through a pipe, as a script gives it: qmail-remote copies it to read it
    // twice (SIZE first, then DATA).
    auto r = root.run({qmtest::bin("qmail-remote"), "remote.example", "alice@test.example",
                       "joe@remote.example", "nobody@remote.example", "later@remote.example"},
                      {.stdin_data = "Subject: by hand\n\nhello\n"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "r\0"
                   "h127.0.0.1 does not like recipient.\n"
                   "Remote host said: 550 5.1.1 no such user\n\0"
                   "s127.0.0.1 does not like recipient.\n"
                   "Remote host said: 451 4.3.0 try later\n\0"
                   "K127.0.0.1 accepted message.\n"
                   "Remote host said: 250 ok queued\n\0"s);
    const std::string t = server.transcript();
    CHECK(t.find("MAIL FROM:<alice@test.example>") != std::string::npos);
    CHECK(t.find("\nSubject: by hand\n\nhello\n.\n") != std::string::npos);

    // qmail's answer to a wrong call is a report too, with exit 0.
    r = root.run({qmtest::bin("qmail-remote"), "remote.example", "alice@test.example"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "DI (qmail-remote) was invoked improperly. (#5.3.5)\n\0"s);
    // Nobody listening: the message's deferral, and no recipient report.
    root.control("smtproutes", "remote.example:127.0.0.1:" +
                                   std::to_string(qmtest::free_port("127.0.0.1")) + "\n");
    r = root.run({qmtest::bin("qmail-remote"), "remote.example", "", "joe@remote.example"},
                 {.stdin_data = "x\n"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"s);
}

TEST_CASE("root mode: remote deliveries run as qmailr through qmail-rspawn",
          "[scenario][remote][rootmode]") {
    if (::geteuid() != 0)
        return qmtest::skip("not root: root-mode test");
    const passwd* qmailr = ::getpwnam("qmailr");
    REQUIRE(qmailr);
    const uid_t qmailr_uid = qmailr->pw_uid;
    qmtest::TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    const std::string home = dir / "qmail";
    // qmail-rspawn delivers itself; with $QMAILREMOTE it runs that program per attempt.
    const bool wrapper = GENERATE(false, true);
    INFO("QMAILREMOTE set: " << wrapper);
    std::map<std::string, std::string> env = {{"QMAILHOME", home}};
    // Who holds the connection: the uid of each qmail-remote and qmail-rspawn process while
    // the server is in the middle of the transaction.
    std::mutex mu;
    std::vector<std::string> seen;
    FakeServer server([&](const std::string& line, int) -> std::string {
        if (line.starts_with("MAIL FROM")) {
            std::lock_guard lock(mu);
            for (const auto& e : fs::directory_iterator("/proc")) {
                std::string comm;
                std::ifstream(e.path() / "comm") >> comm;
                if (comm != "qmail-remote" && comm != "qmail-rspawn")
                    continue;
                // Only this test's: others running beside it have their own mail roots.
                std::ifstream envf(e.path() / "environ");
                const std::string environ_text((std::istreambuf_iterator<char>(envf)),
                                               std::istreambuf_iterator<char>());
                if (environ_text.find("QMAILHOME=" + home + '\0') == std::string::npos)
                    continue;
                std::ifstream status(e.path() / "status");
                for (std::string l; std::getline(status, l);)
                    if (l.rfind("Uid:", 0) == 0)
                        seen.push_back(comm + " " + l);
            }
        }
        return accept_all(line);
    });
    REQUIRE(qmtest::run({qmtest::bin("qmail-install"), home}, {.env = env}).exit_code == 0);
    qmtest::spit(home + "/control/me", "test.example\n");
    qmtest::spit(home + "/control/smtproutes",
                 "remote.example:127.0.0.1:" + std::to_string(server.port) + "\n");
    struct stat st {};
    REQUIRE(::stat((home + "/queue/lock/tcpto").c_str(), &st) == 0);
    CHECK(st.st_uid == qmailr_uid); // qmail-remote keeps the downed-host table

    if (wrapper)
        env["QMAILREMOTE"] = home + "/bin/qmail-remote";
    qmtest::Daemon d({qmtest::bin("qmail-start"), "./Maildir/"}, {.env = env}, dir / "start.log");
    REQUIRE(qmtest::wait_for([&] { return d.log().find("status: local") != std::string::npos; }));
    auto r = qmtest::run({home + "/bin/qmail-queue"},
                         {.stdin_data = "Subject: out\n\nhi\n",
                          .fd1_input = "Fa@test.example\0Tjoe@remote.example\0"
                                       "Tann@remote.example\0\0"s,
                          .env = env});
    REQUIRE(r.exit_code == 0);
    INFO(d.log());
    REQUIRE(qmtest::wait_for([&] { return d.log().find("end msg ") != std::string::npos; }));
    const std::string log = d.log();
    CHECK(count_of(log,
                   ": success: 127.0.0.1_accepted_message./Remote_host_said:_250_ok_queued/") == 2);
    CHECK(server.connections() == 1); // both recipients in one transaction
    {
        std::lock_guard lock(mu);
        std::string all;
        for (const auto& s : seen)
            all += s + "\n";
        INFO(all);
        REQUIRE(seen.size() >= (wrapper ? 2u : 1u));
        for (const auto& s : seen)
            CHECK(s.find("\t" + std::to_string(qmailr_uid) + "\t") != std::string::npos);
        CHECK(std::any_of(seen.begin(), seen.end(), [](const std::string& s) {
                  return s.starts_with("qmail-remote ");
              }) == wrapper);
    }
    CHECK(WEXITSTATUS(d.stop(SIGTERM)) == 0);
}

// The --listen daemons' per-address limits: one address (one client, one botnet host)
// must not be able to take every slot and lock everyone else out.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

namespace {

// Reads one SMTP reply line (or what came before EOF / 10 s).
std::string first_line(qmtest::LoopbackClient& c) {
    return c.read_until(
        [](const std::string& got) { return got.find("\r\n") != std::string::npos; });
}

struct Smtpd {
    qmtest::MailRoot root;
    int port = qmtest::free_port();
    std::unique_ptr<qmtest::Daemon> daemon;

    // rules: tcprules text, compiled to tcp.smtp.cdb and given with --rules.
    explicit Smtpd(const std::vector<std::string>& extra,
                   const std::map<std::string, std::string>& controls = {},
                   const std::string& rules = {}) {
        root.control("rcpthosts", "test.example\n");
        for (const auto& [name, text] : controls)
            root.control(name, text);
        std::vector<std::string> argv{qmtest::bin("qmail-smtpd"), "--listen",
                                      "127.0.0.1:" + std::to_string(port)};
        if (!rules.empty()) {
            const std::string cdb = root / "tcp.smtp.cdb";
            auto r =
                qmtest::run({qmtest::bin("tcprules"), cdb, cdb + ".tmp"}, {.stdin_data = rules});
            REQUIRE(r.exit_code == 0);
            root.give_to_user(cdb);
            argv.insert(argv.end(), {"--rules", cdb});
        }
        argv.insert(argv.end(), extra.begin(), extra.end());
        daemon = root.start(argv, "smtpd.log");
        REQUIRE(qmtest::wait_for(
            [&] { return daemon->log().find("status: listening") != std::string::npos; }));
    }
};

constexpr const char* per_ip_refusal = "421 4.7.0 too many connections from your address\r\n";

} // namespace

TEST_CASE("over --max-per-ip one address is told 421 while another is still served",
          "[scenario][smtp][daemon][limits]") {
    Smtpd d({"--max-per-ip", "2"});
    qmtest::LoopbackClient a(d.port), b(d.port);
    CHECK(first_line(a).starts_with("220 "));
    CHECK(first_line(b).starts_with("220 "));
    qmtest::LoopbackClient c(d.port);
    CHECK(first_line(c) == per_ip_refusal);
    CHECK(c.closed_by_server());
    // Another address still gets in: the overall limit (100) is far away.
    qmtest::LoopbackClient other(d.port, "127.0.0.2");
    REQUIRE(other.connected());
    CHECK(first_line(other).starts_with("220 "));
    // A slot freed is a slot given back.
    a.send("QUIT\r\n");
    CHECK(a.closed_by_server());
    CHECK(
        qmtest::wait_for([&] { return qmtest::count_of(d.daemon->log(), "end 127.0.0.1:") >= 1; }));
    qmtest::LoopbackClient again(d.port);
    CHECK(first_line(again).starts_with("220 "));
    CHECK(d.daemon->log().find("too many connections from 127.0.0.1:") != std::string::npos);
    // Sessions b, other and again are still open: a first SIGTERM would wait for them.
    d.daemon->stop(SIGKILL);
}

TEST_CASE("by default one address gets at most half of --max-connections",
          "[scenario][smtp][daemon][limits]") {
    Smtpd d({"--max-connections", "4"});
    qmtest::LoopbackClient a(d.port), b(d.port);
    CHECK(first_line(a).starts_with("220 "));
    CHECK(first_line(b).starts_with("220 "));
    qmtest::LoopbackClient c(d.port);
    CHECK(first_line(c) == per_ip_refusal);
    qmtest::LoopbackClient other(d.port, "127.0.0.2");
    CHECK(first_line(other).starts_with("220 "));
}

TEST_CASE("a tcprules rule's MAXCONNIP sets the per-address limit for its clients",
          "[scenario][smtp][daemon][limits][tcprules]") {
    Smtpd d({}, {}, "127.0.0.1:allow,MAXCONNIP=\"1\"\n:allow\n");
    const int port = d.port;
    qmtest::LoopbackClient a(port);
    CHECK(first_line(a).starts_with("220 "));
    qmtest::LoopbackClient b(port);
    CHECK(first_line(b) == per_ip_refusal);
    // 127.0.0.2 falls under ":allow", so the default (50) applies.
    qmtest::LoopbackClient c(port, "127.0.0.2"), e(port, "127.0.0.2");
    CHECK(first_line(c).starts_with("220 "));
    CHECK(first_line(e).starts_with("220 "));
}

TEST_CASE("qmail-qmtpd closes connections over --max-per-ip and serves other addresses",
          "[scenario][qmtp][daemon][limits]") {
    qmtest::MailRoot root;
    const int port = qmtest::free_port();
    auto qmtpd = root.start({qmtest::bin("qmail-qmtpd"), "--listen",
                             "127.0.0.1:" + std::to_string(port), "--max-per-ip", "1"},
                            "qmtpd.log");
    REQUIRE(qmtest::wait_for(
        [&] { return qmtpd->log().find("status: listening") != std::string::npos; }));
    qmtest::LoopbackClient a(port);
    REQUIRE(
        qmtest::wait_for([&] { return qmtpd->log().find("ok 127.0.0.1:") != std::string::npos; }));
    qmtest::LoopbackClient b(port);
    CHECK(b.closed_by_server());
    CHECK(qmtpd->log().find("too many connections from 127.0.0.1:") != std::string::npos);
    qmtest::LoopbackClient other(port, "127.0.0.2");
    CHECK(
        qmtest::wait_for([&] { return qmtpd->log().find("ok 127.0.0.2:") != std::string::npos; }));
    CHECK(qmtest::count_of(qmtpd->log(), "too many connections") == 1);
}

namespace {

// Sends a HELO line a byte every 250 ms; returns what the server said and how long it
// took to say 451 4.4.2 (or the whole dribble's length if it never did).
std::pair<std::string, std::chrono::seconds> dribble(int port) {
    // A raw socket: the test must see the server's goodbye while it is still dribbling.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string got;
    const auto start = std::chrono::steady_clock::now();
    auto seconds = std::chrono::seconds(0);
    char buf[512];
    for (char byte : std::string("HELO dribbling.example.with.a.long.long.name")) {
        (void)::send(fd, &byte, 1, MSG_NOSIGNAL);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        pollfd p{fd, POLLIN, 0};
        while (::poll(&p, 1, 0) == 1) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                break;
            got.append(buf, static_cast<size_t>(n));
        }
        seconds = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - start);
        if (got.find("451 4.4.2") != std::string::npos)
            break;
    }
    ::close(fd);
    return {got, seconds};
}

// Pipelines NOOPs whose replies fill both socket buffers, never reading, until the
// server's log says it gave up on the write (or 200 rounds).
void never_read(int port, const std::function<std::string()>& log) {
    qmtest::LoopbackClient c(port);
    std::string noops;
    for (int i = 0; i < 2000; ++i)
        noops += "NOOP\r\n";
    for (int i = 0; i < 200 && log().find("write timeout") == std::string::npos; ++i)
        c.send(noops);
    CHECK(qmtest::wait_for([&] { return log().find("write timeout") != std::string::npos; },
                           std::chrono::seconds(10)));
}

// qmail-smtpd on stdin/stdout, one per connection, under ucspi-tcp's tcpserver.
std::unique_ptr<qmtest::Daemon> smtpd_under_tcpserver(qmtest::MailRoot& root, int port) {
    root.control("rcpthosts", "test.example\n");
    root.control("timeoutsmtpd", "1\n");
    auto server = root.start({"/usr/bin/tcpserver", "-v", "-R", "-H", "127.0.0.1",
                              std::to_string(port), qmtest::bin("qmail-smtpd")},
                             "tcpserver.log");
    REQUIRE(
        qmtest::wait_for([&] { return server->log().find("status: 0/") != std::string::npos; }));
    return server;
}

} // namespace

TEST_CASE("a client dribbling a byte at a time is dropped when timeoutsmtpd runs out",
          "[scenario][smtp][daemon][limits]") {
    // timeoutsmtpd is 1 s; before, every byte restarted it and this client stayed forever.
    SECTION("--listen daemon") {
        Smtpd d({}, {{"timeoutsmtpd", "1\n"}});
        auto [got, seconds] = dribble(d.port);
        INFO("server said: " << got);
        REQUIRE(got.find("451 4.4.2") != std::string::npos);
        // 45 bytes at 4 a second take 11 s: dropped well before the dribble ends.
        CHECK(seconds <= std::chrono::seconds(5));
    }
    SECTION("on stdin under tcpserver") {
        if (!std::filesystem::exists("/usr/bin/tcpserver"))
            return qmtest::skip("ucspi-tcp's tcpserver is not installed");
        qmtest::MailRoot root;
        const int port = qmtest::free_port();
        auto server = smtpd_under_tcpserver(root, port);
        auto [got, seconds] = dribble(port);
        INFO("server said: " << got);
        REQUIRE(got.find("451 4.4.2") != std::string::npos);
        CHECK(seconds <= std::chrono::seconds(5));
    }
}

TEST_CASE("a client that never reads its replies is dropped after timeoutsmtpd",
          "[scenario][smtp][daemon][limits]") {
    SECTION("--listen daemon") {
        Smtpd d({}, {{"timeoutsmtpd", "1\n"}});
        never_read(d.port, [&] { return d.daemon->log(); });
    }
    SECTION("on stdin under tcpserver") {
        if (!std::filesystem::exists("/usr/bin/tcpserver"))
            return qmtest::skip("ucspi-tcp's tcpserver is not installed");
        qmtest::MailRoot root;
        const int port = qmtest::free_port();
        // qmail-smtpd's log (stderr) goes to tcpserver's: the same file.
        auto server = smtpd_under_tcpserver(root, port);
        never_read(port, [&] { return server->log(); });
    }
}

namespace {

constexpr const char* early_refusal = "554 5.5.1 protocol error: you talked before my greeting\r\n";

// A client that talks at once gets the refusal and the door closes; one that waits for
// the greeting gets it after the delay and is served.
void check_greet_delay(int port, const std::function<std::string()>& log) {
    qmtest::LoopbackClient rude(port);
    rude.send("HELO rude.example\r\n");
    CHECK(first_line(rude) == early_refusal);
    CHECK(rude.closed_by_server());
    CHECK(qmtest::wait_for([&] { return log().find("early talker") != std::string::npos; }));

    const auto start = std::chrono::steady_clock::now();
    qmtest::LoopbackClient polite(port);
    CHECK(first_line(polite).starts_with("220 "));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
    polite.send("HELO polite.example\r\n");
    CHECK(polite
              .read_until(
                  [](const std::string& got) { return got.find("250 ") != std::string::npos; })
              .find("250 ") != std::string::npos);
    CHECK(qmtest::count_of(log(), "early talker") == 1);
}

} // namespace

TEST_CASE("with greetdelay a client that talks before the greeting is turned away",
          "[scenario][smtp][daemon][limits]") {
    SECTION("--listen daemon") {
        Smtpd d({}, {{"greetdelay", "1\n"}});
        check_greet_delay(d.port, [&] { return d.daemon->log(); });
    }
    SECTION("on stdin under tcpserver") {
        if (!std::filesystem::exists("/usr/bin/tcpserver"))
            return qmtest::skip("ucspi-tcp's tcpserver is not installed");
        qmtest::MailRoot root;
        root.control("greetdelay", "1\n");
        const int port = qmtest::free_port();
        auto server = smtpd_under_tcpserver(root, port);
        root.control("timeoutsmtpd", "20\n");
        check_greet_delay(port, [&] { return server->log(); });
    }
}

TEST_CASE("a tcprules rule's GREETDELAY holds the greeting back for its clients only",
          "[scenario][smtp][daemon][limits][tcprules]") {
    Smtpd d({}, {}, "127.0.0.2:allow,GREETDELAY=\"1\"\n:allow\n");
    const int port = d.port;
    // 127.0.0.1 falls under ":allow": no delay, and talking first is not held against it.
    qmtest::LoopbackClient trusted(port);
    trusted.send("NOOP\r\n");
    CHECK(first_line(trusted).starts_with("220 "));
    qmtest::LoopbackClient rude(port, "127.0.0.2");
    rude.send("HELO rude.example\r\n");
    CHECK(first_line(rude) == early_refusal);
    CHECK(d.daemon->log().find("early talker 127.0.0.2:") != std::string::npos);
}

// The real qmail-qmtpd, on stdin/stdout (as under tcpserver) and as a --listen daemon,
// with the real qmail-queue behind it.
#include "net.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <csignal>

using namespace std::string_literals;
using qmtptest::netstrings;
using qmtptest::qmtp_package;

namespace {

using Queued = qmtest::QueuedMessage;

std::vector<Queued> queued(const qmtest::MailRoot& root) {
    return qmtest::queued_messages(root.home());
}

const Queued* find_subject(const std::vector<Queued>& q, const std::string& subject) {
    for (const auto& m : q)
        if (m.message.find("\nSubject: " + subject + "\n") != std::string::npos)
            return &m;
    return nullptr;
}

constexpr const char* refused_domain =
    "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";

struct Qmtpd {
    qmtest::MailRoot root;
    std::map<std::string, std::string> env{{"TCPREMOTEIP", "192.0.2.7"},
                                           {"TCPREMOTEHOST", "client.example"},
                                           {"TCPLOCALIP", "192.0.2.1"},
                                           {"TCPLOCALHOST", "mx.test.example"}};
    Qmtpd() { root.control("rcpthosts", "test.example\n.sub.test.example\n"); }

    qmtest::RunResult talk(const std::string& input) {
        auto e = root.env();
        for (const auto& [k, v] : env)
            e[k] = v;
        return root.run({qmtest::bin("qmail-qmtpd")},
                        {.stdin_data = input, .env = e, .unset_env = {"RELAYCLIENT"}});
    }
};

bool ok_response(const std::string& r) {
    return r.starts_with("Kok ") && r.find(" qp ") != std::string::npos;
}

} // namespace

TEST_CASE("qmail-qmtpd takes several packages in one connection and answers each recipient",
          "[scenario][qmtp]") {
    Qmtpd s;
    const std::string input =
        qmtp_package("\nSubject: one\n\nfirst\n8-bit \xe9\n", "ann@client.example",
                     {"joe@test.example", "Bob@Deep.Sub.Test.Example"}) +
        qmtp_package("\rSubject: two\r\n\r\nsecond\r\nlone\rCR\r\n", "", {"joe@test.example"}) +
        qmtp_package("\nSubject: three\n\nthird\n", "ann@client.example",
                     {"victim@elsewhere.example", "joe@test.example"});
    auto r = s.talk(input);
    CHECK(r.exit_code == 0);
    auto resp = netstrings(r.out);
    REQUIRE(resp.size() == 5);
    CHECK(ok_response(resp[0]));
    CHECK(resp[1] == resp[0]); // one message, one answer per recipient
    CHECK(ok_response(resp[2]));
    CHECK(resp[2] != resp[0]);
    CHECK(resp[3] == refused_domain);
    CHECK(ok_response(resp[4]));

    auto q = queued(s.root);
    REQUIRE(q.size() == 3);
    const Queued* one = find_subject(q, "one");
    REQUIRE(one);
    CHECK(one->sender == "ann@client.example");
    CHECK(one->recipients ==
          std::vector<std::string>{"joe@test.example", "Bob@Deep.Sub.Test.Example"});
    CHECK(one->message.find("\nReceived: from client.example (192.0.2.7)\n  by mx.test.example "
                            "with QMTP; ") != std::string::npos);
    CHECK(one->message.ends_with("\nSubject: one\n\nfirst\n8-bit \xe9\n"));
    const Queued* two = find_subject(q, "two");
    REQUIRE(two);
    CHECK(two->sender.empty());
    CHECK(two->message.ends_with("\nSubject: two\n\nsecond\nlone\rCR\n")); // CRLF → LF
    const Queued* three = find_subject(q, "three");
    REQUIRE(three);
    CHECK(three->recipients == std::vector<std::string>{"joe@test.example"});
}

TEST_CASE("qmail-qmtpd refuses relaying without RELAYCLIENT and relays with it",
          "[scenario][qmtp]") {
    Qmtpd s;
    const std::vector<std::string> tricks = {
        "victim@elsewhere.example",
        "victim@ELSEWHERE.example",
        "@test.example:victim@elsewhere.example",
        "victim@elsewhere.example.",
        "victim@test.example@elsewhere.example",
        "victim%elsewhere.example@other.example",
        "elsewhere.example!victim@other.example",
        "victim@[198.51.100.9]",
        "victim@test.exampleevil.example",
    };
    auto r = s.talk(qmtp_package("\nSubject: relay\n\nx\n", "spammer@client.example", tricks));
    auto resp = netstrings(r.out);
    REQUIRE(resp.size() == tricks.size());
    for (size_t i = 0; i < tricks.size(); ++i) {
        INFO(tricks[i]);
        CHECK(resp[i] == refused_domain);
    }
    CHECK(queued(s.root).empty()); // no recipient left: nothing queued at all

    s.env["RELAYCLIENT"] = "";
    r = s.talk(qmtp_package("\nSubject: relay\n\nx\n", "friend@client.example",
                            {"someone@elsewhere.example"}));
    resp = netstrings(r.out);
    REQUIRE(resp.size() == 1);
    CHECK(ok_response(resp[0]));
    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].recipients == std::vector<std::string>{"someone@elsewhere.example"});
}

TEST_CASE("qmail-qmtpd answers Z to recipients beyond maxrcpt and maxrcptsession",
          "[scenario][qmtp]") {
    Qmtpd s;
    std::vector<std::string> rcpts;
    for (int i = 0; i < 1001; ++i)
        rcpts.push_back("u" + std::to_string(i) + "@test.example");
    auto r = s.talk(qmtp_package("\nSubject: many\n\nx\n", "list@client.example", rcpts));
    auto resp = netstrings(r.out);
    REQUIRE(resp.size() == 1001);
    CHECK(ok_response(resp[999]));
    CHECK(resp[1000] == "Ztoo many recipients (#4.5.3)");
    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    rcpts.pop_back();
    CHECK(q[0].recipients == rcpts);

    // Over several packages of one connection.
    s.root.control("maxrcptsession", "150\n");
    rcpts.resize(100);
    const std::string package = qmtp_package("\nSubject: t\n\nx\n", "list@client.example", rcpts);
    resp = netstrings(s.talk(package + package).out);
    REQUIRE(resp.size() == 200);
    CHECK(ok_response(resp[149]));
    CHECK(resp[150] ==
          "Ztoo many recipients in this connection, send the rest in another (#4.5.3)");
    CHECK(resp[199] == resp[150]);
}

TEST_CASE("qmail-qmtpd stores a bare CR in the header as a space, in either encoding",
          "[scenario][qmtp]") {
    Qmtpd s;
    auto r = s.talk(qmtp_package("\nSubject: lf\rX-Injected: yes\n\nbody\rCR\n", "a@c.example",
                                 {"joe@test.example"}) +
                    qmtp_package("\rSubject: crlf\rX-Injected: yes\r\n\r\nbody\rCR\r\n",
                                 "a@c.example", {"joe@test.example"}));
    REQUIRE(netstrings(r.out).size() == 2);
    auto q = queued(s.root);
    REQUIRE(q.size() == 2);
    for (const auto& m : q) {
        INFO(m.message);
        CHECK((m.message.ends_with("\nSubject: lf X-Injected: yes\n\nbody\rCR\n") ||
               m.message.ends_with("\nSubject: crlf X-Injected: yes\n\nbody\rCR\n")));
        CHECK(m.message.find("\nX-Injected") == std::string::npos);
    }
}

TEST_CASE("qmail-qmtpd refuses bad addresses and big or looping messages", "[scenario][qmtp]") {
    Qmtpd s;
    std::string loop = "\n";
    for (int i = 0; i < 100; ++i)
        loop += "Received: from hop" + std::to_string(i) + "\n";
    loop += "\nbody\n";
    const std::string input =
        qmtp_package("\nx\n", std::string(1000, 's'), {"joe@test.example", "bob@test.example"}) +
        qmtp_package("\nx\n", "nul\0sender"s, {"joe@test.example"}) +
        qmtp_package(
            "\nx\n", "ann@client.example",
            {std::string(990, 'j') + "@test.example", "nul\0@test.example"s, "joe@test.example"}) +
        qmtp_package(loop, "ann@client.example", {"joe@test.example"});
    auto r = s.talk(input);
    auto resp = netstrings(r.out);
    REQUIRE(resp.size() == 7);
    CHECK(resp[0] == "Dunacceptable sender (#5.1.7)");
    CHECK(resp[1] == "Dunacceptable sender (#5.1.7)");
    CHECK(resp[2] == "Dunacceptable sender (#5.1.7)");
    CHECK(resp[3] == "Dsorry, I can't handle that recipient (#5.1.3)");
    CHECK(resp[4] == "Dsorry, I can't handle that recipient (#5.1.3)");
    CHECK(ok_response(resp[5]));
    CHECK(resp[6] == "Dsorry, too many hops, this message is looping (#5.4.6)");
    CHECK(queued(s.root).size() == 1);

    s.env["DATABYTES"] = "100";
    r = s.talk(
        qmtp_package("\n" + std::string(101, 'x'), "ann@client.example", {"joe@test.example"}) +
        qmtp_package("\n" + std::string(100, 'x'), "ann@client.example", {"joe@test.example"}));
    resp = netstrings(r.out);
    REQUIRE(resp.size() == 2);
    CHECK(resp[0] == "Dsorry, that message size exceeds my databytes limit (#5.3.4)");
    CHECK(ok_response(resp[1]));
    CHECK(queued(s.root).size() == 2);
}

TEST_CASE("qmail-qmtpd drops a connection with broken framing and queues none of it",
          "[scenario][qmtp]") {
    Qmtpd s;
    const std::string good = qmtp_package("\nSubject: good\n\nx\n", "a@c", {"joe@test.example"});
    for (const std::string& bad :
         {"3:xab,1:a,0:,"s, "0:,"s, "14:\nSubject: bad\n;"s, "abc:"s,
          "14:\nSubject: bad\n,1:a,5:3:abc,,"s, "14:\nSubject: bad\n,1:a,6:3:abc,;"s}) {
        INFO(bad);
        auto r = s.talk(good + bad + good);
        CHECK(r.exit_code == 100);
        CHECK(r.err.find("protocol error from 192.0.2.7: ") != std::string::npos);
        auto resp = netstrings(r.out);
        REQUIRE(resp.size() == 1); // the package before is answered, nothing after
        CHECK(ok_response(resp[0]));
    }
    auto q = queued(s.root);
    CHECK(q.size() == 6);
    for (const auto& m : q)
        CHECK(m.message.find("Subject: bad") == std::string::npos);

    // A client that goes away in the middle of a package: nothing of it is queued.
    auto r = s.talk(good.substr(0, good.size() - 3));
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK(queued(s.root).size() == 6);
}

TEST_CASE("qmail-qmtpd daemon: packages over one socket then SIGTERM", "[scenario][qmtp][daemon]") {
    qmtest::MailRoot root;
    root.control("rcpthosts", "test.example\n");
    const int port = qmtptest::free_port();
    auto d = root.start(
        {qmtest::bin("qmail-qmtpd"), "--listen", "127.0.0.1:" + std::to_string(port)}, "qmtpd.log");
    REQUIRE(
        qmtest::wait_for([&] { return d->log().find("status: listening") != std::string::npos; }));
    qmtptest::Client c(port);
    REQUIRE(c.connected());
    c.send(qmtp_package("\nSubject: d1\n\nx\n", "a@c", {"joe@test.example"}));
    auto resp = c.responses(1);
    REQUIRE(resp.size() == 1);
    CHECK(ok_response(resp[0]));
    c.send(
        qmtp_package("\nSubject: d2\n\nx\n", "a@c", {"x@elsewhere.example", "joe@test.example"}));
    resp = c.responses(3);
    REQUIRE(resp.size() == 3);
    CHECK(resp[1] == refused_domain);
    CHECK(ok_response(resp[2]));
    auto q = queued(root);
    REQUIRE(q.size() == 2);
    CHECK(find_subject(q, "d1")->message.find("\nReceived: from unknown (127.0.0.1)\n  by "
                                              "127.0.0.1 with QMTP; ") != std::string::npos);
    // Broken framing ends the session.
    c.send("x");
    CHECK(c.closed_by_server());
    CHECK(qmtest::wait_for(
        [&] { return d->log().find("protocol error from 127.0.0.1") != std::string::npos; }));
    CHECK(WEXITSTATUS(d->stop(SIGTERM)) == 0);
}

TEST_CASE("the QMTP and QMQP programs answer --help", "[scenario][qmtp]") {
    for (const char* p : {"qmail-qmtpd", "qmail-qmqpd", "qmail-qmqpc"}) {
        INFO(p);
        auto r = qmtest::run({qmtest::bin(p), "--help"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find(std::string("usage: ") + p) == 0);
    }
    auto r = qmtest::run({qmtest::bin("qmail-qmtpd"), "--bogus"});
    CHECK(r.exit_code == 100);
    qmtest::MailRoot root;
    r = root.run({qmtest::bin("qmail-qmtpd"), "--listen", "127.0.0.1"});
    CHECK(r.exit_code == 100);
    CHECK(r.err.find("127.0.0.1 has no :port") != std::string::npos);
}

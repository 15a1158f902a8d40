// The real qmail-smtpd on stdin/stdout (as under tcpserver) with the real qmail-queue
// behind it. A whole dialogue goes in at once, which is also what a pipelining client
// does; the replies come back in order.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>

using namespace std::string_literals;

namespace {

using Queued = qmtest::QueuedMessage;

std::vector<Queued> queued(const qmtest::MailRoot& root) {
    return qmtest::queued_messages(root.home());
}

std::vector<std::string> reply_lines(const std::string& out) {
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < out.size()) {
        auto end = out.find("\r\n", pos);
        if (end == std::string::npos) {
            lines.push_back(out.substr(pos) + "<no CRLF>");
            break;
        }
        lines.push_back(out.substr(pos, end - pos));
        pos = end + 2;
    }
    return lines;
}

struct Smtpd {
    qmtest::MailRoot root;
    std::map<std::string, std::string> env{{"TCPREMOTEIP", "192.0.2.7"},
                                           {"TCPREMOTEHOST", "client.example"},
                                           {"TCPLOCALIP", "192.0.2.1"},
                                           {"TCPLOCALHOST", "mx.test.example"}};
    Smtpd() { root.control("rcpthosts", "test.example\n.sub.test.example\n"); }

    qmtest::RunResult talk(const std::string& dialogue) {
        auto e = root.env();
        for (const auto& [k, v] : env)
            e[k] = v;
        // As the mail root's user: qmail-smtpd refuses to serve as root on stdin.
        return root.run({qmtest::bin("qmail-smtpd")},
                        {.stdin_data = dialogue, .env = e, .unset_env = {"RELAYCLIENT"}});
    }

    // ucspi-tcp's tcpserver on 127.0.0.1:port running qmail-smtpd per connection, once it
    // accepts; options go before the address (-x rules.cdb, say).
    std::unique_ptr<qmtest::Daemon> under_tcpserver(int port,
                                                    std::vector<std::string> options = {}) const {
        std::vector<std::string> argv{"/usr/bin/tcpserver", "-v", "-R", "-H"};
        argv.insert(argv.end(), options.begin(), options.end());
        argv.insert(argv.end(), {"127.0.0.1", std::to_string(port), qmtest::bin("qmail-smtpd")});
        auto server = root.start(argv, "tcpserver.log");
        REQUIRE(qmtest::wait_for(
            [&] { return server->log().find("status: 0/") != std::string::npos; }));
        return server;
    }
};

bool starts(const std::string& line, const std::string& prefix) {
    return line.rfind(prefix, 0) == 0;
}

} // namespace

TEST_CASE("qmail-smtpd takes a pipelined transaction and queues it", "[scenario][smtp]") {
    Smtpd s;
    auto r = s.talk("EHLO client.example\r\n"
                    "MAIL FROM:<ann@client.example> SIZE=40 BODY=8BITMIME\r\n"
                    "RCPT TO:<joe@test.example>\r\n"
                    "RCPT TO:<Bob@Deep.Sub.Test.Example>\r\n"
                    "DATA\r\n"
                    "Subject: hi\r\n\r\n..dot line\r\n8-bit \xe9\r\n.\r\n"
                    "QUIT\r\n");
    CHECK(r.exit_code == 0);
    auto lines = reply_lines(r.out);
    REQUIRE(lines.size() == 12);
    CHECK(lines[0] == "220 test.example ESMTP");
    CHECK(lines[1] == "250-test.example");
    CHECK(std::find(lines.begin(), lines.end(), "250-PIPELINING") != lines.end());
    CHECK(std::find(lines.begin(), lines.end(), "250-8BITMIME") != lines.end());
    CHECK(std::find(lines.begin(), lines.end(), "250-SIZE") != lines.end());
    CHECK(lines[5] == "250 ENHANCEDSTATUSCODES");
    CHECK(lines[6] == "250 2.1.0 ok");
    CHECK(lines[7] == "250 2.1.5 ok");
    CHECK(lines[8] == "250 2.1.5 ok");
    CHECK(lines[9] == "354 go ahead");
    CHECK(starts(lines[10], "250 2.0.0 ok "));
    CHECK(lines[10].find(" qp ") != std::string::npos);
    CHECK(lines[11] == "221 2.0.0 test.example");

    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].sender == "ann@client.example");
    CHECK(q[0].recipients ==
          std::vector<std::string>{"joe@test.example", "Bob@Deep.Sub.Test.Example"});
    // qmail-queue's line, then ours, then the message as stored (LF, unstuffed).
    CHECK(starts(q[0].message, "Received: (qmail "));
    CHECK(q[0].message.find("\nReceived: from client.example (192.0.2.7)\n  by mx.test.example "
                            "with ESMTP; ") != std::string::npos);
    CHECK(q[0].message.ends_with("\nSubject: hi\n\n.dot line\n8-bit \xe9\n"));
}

TEST_CASE("qmail-smtpd refuses relaying without RELAYCLIENT, whatever the trick",
          "[scenario][smtp]") {
    Smtpd s;
    // Each recipient is for another host, dressed up. None may be accepted.
    const std::vector<std::string> tricks = {
        "<victim@elsewhere.example>",
        "<victim@ELSEWHERE.example>",
        "<@test.example:victim@elsewhere.example>", // source route through us
        "<victim@elsewhere.example.>",              // trailing dot
        "<victim@test.example.>",                   // our name with a trailing dot
        "<victim@test.example@elsewhere.example>",  // two @
        "<\"victim@elsewhere.example\"@elsewhere.example>",
        "<victim@[198.51.100.9]>", // an IP literal not ours
        "<victim@notsub.test.example.evil>",
        "<victim@test.exampleevil.example>",
        "<victim%elsewhere.example@other.example>",
        "<elsewhere.example!victim@other.example>",
        "victim@elsewhere.example", // no brackets
    };
    std::string dialogue = "HELO client.example\r\nMAIL FROM:<spammer@client.example>\r\n";
    for (const auto& t : tricks)
        dialogue += "RCPT TO:" + t + "\r\n";
    dialogue += "DATA\r\nQUIT\r\n";
    auto r = s.talk(dialogue);
    auto lines = reply_lines(r.out);
    REQUIRE(lines.size() == 3 + tricks.size() + 2);
    for (size_t i = 0; i < tricks.size(); ++i) {
        INFO(tricks[i]);
        CHECK(lines[3 + i] == "553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts");
    }
    CHECK(lines[3 + tricks.size()] == "503 5.5.1 RCPT first");
    CHECK(queued(s.root).empty());
}

TEST_CASE("tricks aimed at our own domains stay here", "[scenario][smtp]") {
    // Accepted, because the domain after the last @ is ours; the recipient is then a local
    // address (qmail-send does not apply the percent hack unless control/percenthack says
    // so), never a relay.
    Smtpd s;
    auto r = s.talk("HELO c\r\nMAIL FROM:<a@c.example>\r\n"
                    "RCPT TO:<victim%elsewhere.example@test.example>\r\n"
                    "RCPT TO:<elsewhere.example!victim@test.example>\r\n"
                    "RCPT TO:<\"victim@elsewhere.example\"@test.example>\r\n"
                    "RCPT TO:<victim@[192.0.2.1]>\r\n"
                    "DATA\r\nSubject: x\r\n\r\nx\r\n.\r\nQUIT\r\n");
    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    // The literal naming one of our own addresses would be rewritten to localiphost;
    // 192.0.2.1 is not an address of this test machine, so it is refused.
    CHECK(q[0].recipients == std::vector<std::string>{"victim%elsewhere.example@test.example",
                                                      "elsewhere.example!victim@test.example",
                                                      "victim@elsewhere.example@test.example"});
    CHECK(reply_lines(r.out)[6] ==
          "553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts");
}

TEST_CASE("with RELAYCLIENT anything is relayed, with its value appended", "[scenario][smtp]") {
    Smtpd s;
    s.env["RELAYCLIENT"] = "";
    auto e = s.root.env();
    for (const auto& [k, v] : s.env)
        e[k] = v;
    auto r = s.root.run({qmtest::bin("qmail-smtpd")},
                        {.stdin_data = "HELO c\r\nMAIL FROM:<a@c.example>\r\n"
                                       "RCPT TO:<victim@elsewhere.example>\r\n"
                                       "DATA\r\nSubject: x\r\n\r\nx\r\n.\r\nQUIT\r\n",
                         .env = e});
    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].recipients == std::vector<std::string>{"victim@elsewhere.example"});

    e["RELAYCLIENT"] = "@relay.test";
    r = s.root.run({qmtest::bin("qmail-smtpd")},
                   {.stdin_data = "HELO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<x@y>\r\n"
                                  "DATA\r\n\r\nx\r\n.\r\nQUIT\r\n",
                    .env = e});
    q = queued(s.root);
    REQUIRE(q.size() == 2);
    CHECK((q[0].recipients[0] == "x@y@relay.test" || q[1].recipients[0] == "x@y@relay.test"));
}

TEST_CASE("without rcpthosts only the domains delivered here are accepted", "[scenario][smtp]") {
    Smtpd s;
    REQUIRE(::unlink((s.root / "control/rcpthosts").c_str()) == 0);
    s.root.control("virtualdomains", "virtual.example:joe\nuser@single.example:bob\n");
    auto r = s.talk("HELO c\r\nMAIL FROM:<a@c.example>\r\n"
                    "RCPT TO:<x@test.example>\r\nRCPT TO:<x@virtual.example>\r\n"
                    "RCPT TO:<x@elsewhere.example>\r\nQUIT\r\n");
    auto lines = reply_lines(r.out);
    REQUIRE(lines.size() == 7);
    CHECK(lines[3] == "250 2.1.5 ok");
    CHECK(lines[4] == "250 2.1.5 ok");
    CHECK(lines[5] == "553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts");
}

TEST_CASE("without rcpthosts a virtualdomains exception or a percent hack is no way to relay",
          "[scenario][smtp]") {
    Smtpd s;
    REQUIRE(::unlink((s.root / "control/rcpthosts").c_str()) == 0);
    // "other.example:" says other.example is not virtual: qmail-send sends it away.
    s.root.control("virtualdomains", "virtual.example:joe\nother.example:\n");
    s.root.control("percenthack", "test.example\n");
    const std::string dialogue = "HELO c\r\nMAIL FROM:<a@c.example>\r\n"
                                 "RCPT TO:<x@other.example>\r\n"
                                 "RCPT TO:<victim%elsewhere.example@test.example>\r\n"
                                 "RCPT TO:<x@virtual.example>\r\nQUIT\r\n";
    auto lines = reply_lines(s.talk(dialogue).out);
    REQUIRE(lines.size() == 7);
    CHECK(lines[3] == "553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts");
    CHECK(lines[4] == "553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts");
    CHECK(lines[5] == "250 2.1.5 ok");

    s.env["RELAYCLIENT"] = "";
    auto e = s.root.env();
    for (const auto& [k, v] : s.env)
        e[k] = v;
    lines = reply_lines(
        s.root.run({qmtest::bin("qmail-smtpd")}, {.stdin_data = dialogue, .env = e}).out);
    REQUIRE(lines.size() == 7);
    CHECK(lines[3] == "250 2.1.5 ok");
    CHECK(lines[4] == "250 2.1.5 ok");
}

TEST_CASE("the daemon warns at startup about a percenthack domain that rcpthosts accepts",
          "[scenario][smtp]") {
    Smtpd s;
    s.root.control("percenthack", "test.example\nelsewhere.example\n");
    const int port = qmtest::free_port();
    auto daemon = s.root.start(
        {qmtest::bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(port)}, "smtpd.log");
    REQUIRE(qmtest::wait_for(
        [&] { return daemon->log().find("status: listening") != std::string::npos; }));
    const std::string log = daemon->log();
    INFO(log);
    CHECK(qmtest::count_of(log, "warning: percenthack domain test.example is also in rcpthosts") ==
          1);
    CHECK(log.find("elsewhere.example is also") == std::string::npos);
}

TEST_CASE("the 1001st recipient of a message gets 452 and the first 1000 get the message",
          "[scenario][smtp]") {
    Smtpd s;
    std::string dialogue = "EHLO c\r\nMAIL FROM:<list@c.example>\r\n";
    std::vector<std::string> rcpts;
    for (int i = 1; i <= 1001; ++i) {
        rcpts.push_back("u" + std::to_string(i) + "@test.example");
        dialogue += "RCPT TO:<" + rcpts.back() + ">\r\n";
    }
    dialogue += "DATA\r\nSubject: many\r\n\r\nx\r\n.\r\nQUIT\r\n";
    auto r = s.talk(dialogue);
    auto lines = reply_lines(r.out);
    const size_t mail = 6; // after the greeting and five EHLO lines; RCPT n at mail + n
    REQUIRE(lines.size() == mail + 1001 + 4);
    CHECK(lines[mail] == "250 2.1.0 ok");
    CHECK(std::count(lines.begin(), lines.end(), "250 2.1.5 ok") == 1000);
    CHECK(lines[mail + 1000] == "250 2.1.5 ok");
    CHECK(lines[mail + 1001] == "452 4.5.3 Too many recipients");
    CHECK(starts(lines[mail + 1003], "250 2.0.0 ok "));
    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    rcpts.pop_back();
    CHECK(q[0].recipients == rcpts);
}

TEST_CASE("maxrcpt, maxrcptsession and MAXRCPT: per message, per connection, at least 100",
          "[scenario][smtp]") {
    Smtpd s;
    s.root.control("maxrcpt", "5\n"); // below RFC 5321's 100: taken as 100
    s.root.control("maxrcptsession", "150\n");
    auto transaction = [](int n) {
        std::string t = "MAIL FROM:<list@c.example>\r\n";
        for (int i = 0; i < n; ++i)
            t += "RCPT TO:<u" + std::to_string(i) + "@test.example>\r\n";
        return t + "DATA\r\nSubject: t\r\n\r\nx\r\n.\r\n";
    };
    auto lines =
        reply_lines(s.talk("HELO c\r\n" + transaction(101) + transaction(60) + "QUIT\r\n").out);
    REQUIRE(lines.size() == 2 + (1 + 101 + 2) + (1 + 60 + 2) + 1);
    CHECK(lines[2 + 100] == "250 2.1.5 ok");
    CHECK(lines[2 + 101] == "452 4.5.3 Too many recipients");
    const size_t second = 2 + 104;
    CHECK(lines[second + 50] == "250 2.1.5 ok");
    CHECK(lines[second + 51] ==
          "452 4.5.3 Too many recipients in this connection, send the rest in another");
    CHECK(lines[second + 60] == lines[second + 51]);
    CHECK(starts(lines[second + 62], "250 2.0.0 ok "));
    auto q = queued(s.root);
    REQUIRE(q.size() == 2);
    CHECK(q[0].recipients.size() + q[1].recipients.size() == 150);

    // The connection's MAXRCPT (tcpserver's environment, or a tcprules setting) wins.
    s.env["MAXRCPT"] = "120";
    s.env["MAXRCPTSESSION"] = "1000";
    lines = reply_lines(s.talk("HELO c\r\n" + transaction(121) + "QUIT\r\n").out);
    REQUIRE(lines.size() == 2 + 1 + 121 + 2 + 1);
    CHECK(lines[2 + 120] == "250 2.1.5 ok");
    CHECK(lines[2 + 121] == "452 4.5.3 Too many recipients");
}

TEST_CASE("a bare LF in DATA ends the session and queues nothing", "[scenario][smtp]") {
    for (const std::string& data :
         {"Subject: x\r\n\r\nbody\n.\n"s, "x\r\n.\nMAIL FROM:<e@x>\r\n.\r\n"s, "x\n.\r\n"s}) {
        Smtpd s;
        auto r = s.talk("HELO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<joe@test.example>\r\n"
                        "DATA\r\n" +
                        data + "QUIT\r\n");
        auto lines = reply_lines(r.out);
        REQUIRE(lines.size() == 6);
        CHECK(starts(lines[5], "451 4.5.0 bare LF"));
        CHECK(queued(s.root).empty());
        CHECK(qmtest::list_dir(s.root / "queue/pid").empty());
    }
}

TEST_CASE("the a<CR>.<CR><LF> smuggling vector is one message with a lone CR", "[scenario][smtp]") {
    Smtpd s;
    auto r = s.talk("HELO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n"
                    "Subject: s\r\n\r\n"
                    "a\r.\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<joe@test.example>\r\n.\r\nQUIT\r\n");
    auto lines = reply_lines(r.out);
    REQUIRE(lines.size() == 7);
    CHECK(starts(lines[5], "250 2.0.0 ok"));
    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    // In the body the lone CR is kept (in the header it would be a space).
    CHECK(q[0].message.ends_with(
        "\nSubject: s\n\na\r.\nMAIL FROM:<evil@x>\nRCPT TO:<joe@test.example>\n"));
}

TEST_CASE("a bare CR in the header is stored as a space: one field stays one field",
          "[scenario][smtp]") {
    Smtpd s;
    auto r = s.talk("HELO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n"
                    "Subject: a\rX-Injected: yes\r\nTo: joe\r\r\n\r\nbody\rline\r\n.\r\nQUIT\r\n");
    auto lines = reply_lines(r.out);
    REQUIRE(lines.size() == 7);
    CHECK(starts(lines[5], "250 2.0.0 ok"));
    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].message.ends_with("\nSubject: a X-Injected: yes\nTo: joe \n\nbody\rline\n"));
}

TEST_CASE("a client that goes away at any point leaves nothing queued", "[scenario][smtp]") {
    const std::string whole = "EHLO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<joe@test.example>\r\n"
                              "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n";
    Smtpd s;
    // Every prefix short of the final CRLF of the dot line.
    for (size_t cut = 0; cut < whole.size(); cut += (cut < whole.size() - 8 ? 3 : 1)) {
        INFO(cut);
        s.talk(whole.substr(0, cut));
        CHECK(queued(s.root).empty());
    }
    CHECK(qmtest::list_dir(s.root / "queue/pid").empty());
    CHECK(qmtest::list_dir(s.root / "queue/intd").empty());
    s.talk(whole);
    CHECK(queued(s.root).size() == 1);
}

TEST_CASE("sequence errors, unknown commands, NUL bytes and long lines", "[scenario][smtp]") {
    Smtpd s;
    auto r = s.talk("RCPT TO:<joe@test.example>\r\nDATA\r\nMAIL FROM:<a@c>\r\nDATA\r\n"
                    "MAIL FROM:<b@c>\r\nEXPN staff\r\nXYZZY\r\nMAIL FROM\0:<x>\r\n"s +
                    std::string(5000, 'A') +
                    "\r\nNOOP\r\nVRFY joe\r\nRSET\r\nHELP\r\n"
                    "MAIL FROM:<a@c> FOO=BAR\r\nMAIL FROM:<a@c> SIZE=abc\r\nQUIT\r\n");
    auto lines = reply_lines(r.out);
    REQUIRE(lines.size() == 17);
    CHECK(lines[1] == "503 5.5.1 MAIL first");
    CHECK(lines[2] == "503 5.5.1 MAIL first");
    CHECK(lines[3] == "250 2.1.0 ok");
    CHECK(lines[4] == "503 5.5.1 RCPT first");
    CHECK(lines[5] == "503 5.5.1 nested MAIL command");
    CHECK(lines[6] == "502 5.5.1 unimplemented");
    CHECK(lines[7] == "502 5.5.1 unimplemented");
    CHECK(lines[8] == "501 5.5.2 NUL byte in command");
    CHECK(lines[9] == "500 5.5.2 line too long");
    CHECK(lines[10] == "250 2.0.0 ok");
    CHECK(starts(lines[11], "252 "));
    CHECK(lines[12] == "250 2.0.0 flushed");
    CHECK(starts(lines[13], "214 "));
    CHECK(lines[14] == "555 5.5.4 unsupported parameter FOO");
    CHECK(lines[15] == "501 5.5.4 malformed SIZE parameter");
    CHECK(lines[16] == "221 2.0.0 test.example");
}

TEST_CASE("too many errors close the session", "[scenario][smtp]") {
    Smtpd s;
    std::string junk;
    for (int i = 0; i < 30; ++i)
        junk += "JUNK\r\n";
    auto lines = reply_lines(s.talk(junk).out);
    REQUIRE(lines.size() == 22);
    CHECK(lines[21] == "421 4.7.0 too many errors, closing the connection");
}

TEST_CASE("databytes: SIZE refused up front, oversize data refused at the end",
          "[scenario][smtp]") {
    Smtpd s;
    s.root.control("databytes", "100\n");
    const std::string big = std::string(150, 'x') + "\r\n";
    auto r =
        s.talk("EHLO c\r\nMAIL FROM:<a@c> SIZE=101\r\nMAIL FROM:<a@c> SIZE=100\r\n"
               "RCPT TO:<joe@test.example>\r\nDATA\r\n" +
               big +
               ".\r\n"
               "MAIL FROM:<a@c>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\nsmall\r\n.\r\nQUIT\r\n");
    auto lines = reply_lines(r.out);
    CHECK(std::find(lines.begin(), lines.end(), "250-SIZE 100") != lines.end());
    REQUIRE(lines.size() == 16);
    CHECK(lines[6] == "552 5.3.4 sorry, that message size exceeds my databytes limit");
    CHECK(lines[7] == "250 2.1.0 ok");
    CHECK(lines[10] == "552 5.3.4 sorry, that message size exceeds my databytes limit");
    CHECK(starts(lines[14], "250 2.0.0 ok"));
    CHECK(queued(s.root).size() == 1);
    // DATABYTES in the environment overrides the control file.
    s.env["DATABYTES"] = "1000";
    r = s.talk("HELO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n" + big +
               ".\r\nQUIT\r\n");
    CHECK(starts(reply_lines(r.out)[5], "250 2.0.0 ok"));
}

TEST_CASE("100 Received or Delivered-To lines are a loop", "[scenario][smtp]") {
    Smtpd s;
    std::string header;
    for (int i = 0; i < 50; ++i)
        header += "Received: from x by y\r\nDelivered-To: joe@test.example\r\n";
    auto r = s.talk("HELO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n" + header +
                    "\r\nbody\r\n.\r\nQUIT\r\n");
    CHECK(reply_lines(r.out)[5] == "554 5.4.6 too many hops, this message is looping");
    CHECK(queued(s.root).empty());
}

TEST_CASE("badmailfrom refuses every recipient of a listed sender", "[scenario][smtp]") {
    Smtpd s;
    s.root.control("badmailfrom", "spammer@bad.example\n@worse.example\n");
    auto r = s.talk("HELO c\r\nMAIL FROM:<Spammer@Bad.example>\r\nRCPT TO:<joe@test.example>\r\n"
                    "RSET\r\nMAIL FROM:<x@worse.example>\r\nRCPT TO:<joe@test.example>\r\n"
                    "RSET\r\nMAIL FROM:<ok@bad.example>\r\nRCPT TO:<joe@test.example>\r\nQUIT\r\n");
    auto lines = reply_lines(r.out);
    REQUIRE(lines.size() == 11);
    CHECK(lines[2] == "250 2.1.0 ok");
    CHECK(lines[3] == "553 5.7.1 sorry, your envelope sender is in my badmailfrom list");
    CHECK(lines[6] == "553 5.7.1 sorry, your envelope sender is in my badmailfrom list");
    CHECK(lines[9] == "250 2.1.5 ok");
}

TEST_CASE("smtpgreeting, HELO in the Received line, and a missing me", "[scenario][smtp]") {
    Smtpd s;
    s.root.control("smtpgreeting", "mx.test.example Welcome\n");
    auto r = s.talk("HELO liar.example\r\nMAIL FROM:<a@c>\r\nRCPT TO:<joe@test.example>\r\n"
                    "DATA\r\nx\r\n.\r\nQUIT\r\n");
    auto lines = reply_lines(r.out);
    CHECK(lines[0] == "220 mx.test.example Welcome ESMTP");
    CHECK(lines[1] == "250 mx.test.example Welcome");
    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].message.find("Received: from client.example (HELO liar.example) (192.0.2.7)\n"
                            "  by mx.test.example with SMTP; ") != std::string::npos);

    REQUIRE(::unlink((s.root / "control/me").c_str()) == 0);
    r = s.talk("QUIT\r\n");
    CHECK(r.exit_code == 1);
    CHECK(starts(r.out, "421 4.3.0 unable to read controls: "));
    CHECK(r.out.find("control/me") != std::string::npos);
}

TEST_CASE("qmail-smtpd answers 451 when qmail-queue cannot run", "[scenario][smtp]") {
    Smtpd s;
    s.env["QMAILQUEUE"] = "/nonexistent/qmail-queue";
    auto r = s.talk("HELO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\nQUIT\r\n");
    auto lines = reply_lines(r.out);
    REQUIRE(lines.size() == 6);
    CHECK(lines[4] == "451 4.3.0 qqt failure");
}

TEST_CASE("qmail-queue's refusal is passed on, temporary or permanent", "[scenario][smtp]") {
    Smtpd s;
    // A queue program that refuses permanently (31) and one that fails temporarily (71).
    const std::string perm = s.root / "qq-perm";
    const std::string temp = s.root / "qq-temp";
    qmtest::spit(perm, "#!/bin/sh\ncat >/dev/null\nexit 31\n", 0755);
    qmtest::spit(temp, "#!/bin/sh\ncat >/dev/null\nexit 71\n", 0755);
    for (const auto& [prog, code] : {std::pair{perm, "554 5."}, std::pair{temp, "451 4."}}) {
        s.env["QMAILQUEUE"] = prog;
        auto r = s.talk("HELO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n"
                        "x\r\n.\r\nQUIT\r\n");
        auto lines = reply_lines(r.out);
        REQUIRE(lines.size() == 7);
        CHECK(starts(lines[5], code));
    }
}

TEST_CASE("qmail-smtpd --help", "[scenario][smtp]") {
    auto r = qmtest::run({qmtest::bin("qmail-smtpd"), "--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("usage: qmail-smtpd") == 0);
}

TEST_CASE("tcprules writes the same cdb as ucspi-tcp's tcprules", "[scenario][smtp][tcprules]") {
    if (!std::filesystem::exists("/usr/bin/tcprules"))
        return qmtest::skip("ucspi-tcp's tcprules is not installed");
    qmtest::TempDir dir;
    const std::string rules = "# relays\n127.:allow,RELAYCLIENT=\"\"\n10.1.2.37-39:deny\n"
                              "=.example.com:allow,DATABYTES=\"1000\",X=/a b/\n"
                              "joe@1.2.3.4:allow\n:allow\n";
    auto ours = qmtest::run({qmtest::bin("tcprules"), dir / "ours.cdb", dir / "ours.tmp"},
                            {.stdin_data = rules});
    auto theirs = qmtest::run({"/usr/bin/tcprules", dir / "theirs.cdb", dir / "theirs.tmp"},
                              {.stdin_data = rules});
    REQUIRE(ours.exit_code == 0);
    REQUIRE(theirs.exit_code == 0);
    CHECK(qmtest::slurp(dir / "ours.cdb") == qmtest::slurp(dir / "theirs.cdb"));
    // A bad line leaves the old table in place and names the line.
    auto bad = qmtest::run({qmtest::bin("tcprules"), dir / "ours.cdb", dir / "ours.tmp"},
                           {.stdin_data = "127.:allow\n1.2.3.4:bogus\n"});
    CHECK(bad.exit_code == 100);
    CHECK(bad.err == "tcprules: fatal: standard input line 2: unknown instruction bogus (expected "
                     "allow or deny)\n");
    CHECK(qmtest::slurp(dir / "ours.cdb") == qmtest::slurp(dir / "theirs.cdb"));
}

TEST_CASE("qmail-smtpd under ucspi-tcp's tcpserver with tcprules", "[scenario][smtp][tcprules]") {
    if (!std::filesystem::exists("/usr/bin/tcpserver"))
        return qmtest::skip("ucspi-tcp's tcpserver is not installed");
    Smtpd s;
    auto r = qmtest::run({qmtest::bin("tcprules"), s.root / "tcp.smtp.cdb", s.root / "tcp.tmp"},
                         {.stdin_data = "127.0.0.1:allow,RELAYCLIENT=\"\"\n:deny\n"});
    REQUIRE(r.exit_code == 0);
    const int port = 20000 + static_cast<int>(::getpid() % 20000);
    auto server = s.under_tcpserver(port, {"-x", s.root / "tcp.smtp.cdb"});
    auto sent =
        qmtest::run({"/usr/bin/swaks", "--server", "127.0.0.1", "--port", std::to_string(port),
                     "--from", "a@client.example", "--to", "victim@elsewhere.example"});
    INFO(sent.out << server->log());
    CHECK(sent.exit_code == 0); // relayed: tcpserver set RELAYCLIENT for 127.0.0.1
    auto q = queued(s.root);
    REQUIRE(q.size() == 1);
    CHECK(q[0].recipients == std::vector<std::string>{"victim@elsewhere.example"});
    CHECK(q[0].message.find("\nReceived: from unknown (HELO ") != std::string::npos);
    CHECK(q[0].message.find("(127.0.0.1)\n  by 127.0.0.1 with ESMTP; ") != std::string::npos);
}

TEST_CASE("qmail-smtpd under tcpserver offers STARTTLS on stdin/stdout", "[scenario][smtp][tls]") {
    if (!std::filesystem::exists("/usr/bin/tcpserver"))
        return qmtest::skip("ucspi-tcp's tcpserver is not installed");
    Smtpd s;
    s.root.server_certificate();
    const int port = qmtest::free_port();
    auto server = s.under_tcpserver(port);
    SECTION("swaks --tls: the message arrives and says ESMTPS") {
        auto sent =
            qmtest::run({"/usr/bin/swaks", "--server", "127.0.0.1", "--port", std::to_string(port),
                         "--tls", "--from", "a@client.example", "--to", "joe@test.example",
                         "--header", "Subject: over TLS", "--body", ".leading dot\nsecret line"});
        INFO(sent.out << server->log());
        CHECK(sent.exit_code == 0);
        CHECK(sent.out.find("<-  250-STARTTLS") != std::string::npos);
        CHECK(sent.out.find("<-  220 2.0.0 ready to start TLS") != std::string::npos);
        CHECK(sent.out.find("=== TLS started with cipher TLSv1.3") != std::string::npos);
        // Inside TLS ("~"): EHLO again, STARTTLS no longer offered, the 250 for the message.
        CHECK(sent.out.find("<~  250 ENHANCEDSTATUSCODES") != std::string::npos);
        CHECK(sent.out.find("<~  250-STARTTLS") == std::string::npos);
        CHECK(sent.out.find("<~  250 2.0.0 ok ") != std::string::npos);
        CHECK(sent.out.find("<~  221 ") != std::string::npos);
        auto q = queued(s.root);
        REQUIRE(q.size() == 1);
        CHECK(q[0].recipients == std::vector<std::string>{"joe@test.example"});
        CHECK(q[0].message.find("(127.0.0.1)\n  by 127.0.0.1 with ESMTPS; ") != std::string::npos);
        CHECK(q[0].message.find("\nSubject: over TLS\n") != std::string::npos);
        CHECK(q[0].message.find("\n\n.leading dot\nsecret line\n") != std::string::npos);
    }
    SECTION("SMTP instead of a TLS handshake: never obeyed, the session ends, nothing queued") {
        qmtest::LoopbackClient c(port);
        REQUIRE(c.connected());
        auto has = [](const std::string& text) {
            return [text](const std::string& got) { return got.find(text) != std::string::npos; };
        };
        CHECK(c.read_until(has("220 ")).starts_with("220 test.example ESMTP\r\n"));
        c.send("EHLO client.example\r\n");
        CHECK(c.read_until(has("250 ENHANCEDSTATUSCODES\r\n")).find("250-STARTTLS\r\n") !=
              std::string::npos);
        c.send("STARTTLS\r\n");
        CHECK(c.read_until(has("220 2.0.0 ready to start TLS\r\n")).ends_with("TLS\r\n"));
        c.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<joe@test.example>\r\nDATA\r\n");
        CHECK(c.closed_by_server());
        // Those commands were never obeyed: no SMTP reply after the 220 (at most a TLS alert).
        const std::string ready = "220 2.0.0 ready to start TLS\r\n";
        const std::string after = c.got().substr(c.got().find(ready) + ready.size());
        CHECK(after.find("250") == std::string::npos);
        CHECK(after.find("354") == std::string::npos);
        CHECK(qmtest::wait_for(
            [&] { return server->log().find("tls failed: ") != std::string::npos; }));
        CHECK(queued(s.root).empty());
    }
}

TEST_CASE("qmail-smtpd on stdin/stdout: an unusable certificate is a 421, not plain SMTP",
          "[scenario][smtp][tls]") {
    Smtpd s;
    s.root.control("servercert.pem", "not a certificate\n");
    auto r = s.talk("EHLO client.example\r\nQUIT\r\n");
    CHECK(r.out.starts_with("421 4.3.0 unable to load the TLS certificate "));
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with("qmail-smtpd: fatal: unable to load the TLS certificate "));
}

TEST_CASE("qmail-smtpd exits 0 after QUIT and 1 after end of input or a 451 - as qmail",
          "[scenario][smtp]") {
    Smtpd s;
    // qmail-smtpd.c: QUIT is _exit(0); die_read (end of input), straynewline (the 451 for a
    // bare LF) and die_alarm (the 451 timeout) are _exit(1). tcpserver logs the status.
    auto quit = s.talk("HELO c\r\nQUIT\r\n");
    CHECK(quit.exit_code == 0);
    CHECK(reply_lines(quit.out).back().starts_with("221 "));
    auto eof = s.talk("HELO c\r\nMAIL FROM:<a@b.example>\r\n");
    CHECK(eof.exit_code == 1);
    auto bare_lf = s.talk("HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@test.example>\r\n"
                          "DATA\r\nSubject: x\n\nbody\r\n.\r\nQUIT\r\n");
    CHECK(bare_lf.exit_code == 1);
    CHECK(reply_lines(bare_lf.out).back().starts_with("451 "));
    CHECK(queued(s.root).empty());
}

TEST_CASE("qmail-smtpd refuses an address of 900 bytes and takes one of 899 - as qmail",
          "[scenario][smtp]") {
    Smtpd s;
    // qmail's addrparse: "if (addr.len > 900) return 0;" with the closing NUL counted.
    const std::string local899(899 - std::string("@test.example").size(), 'a');
    auto r = s.talk("HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<" + local899 + "@test.example>\r\n" +
                    "RCPT TO:<" + local899 + "a@test.example>\r\nQUIT\r\n");
    auto lines = reply_lines(r.out);
    REQUIRE(lines.size() == 6);
    CHECK(starts(lines[3], "250 "));
    CHECK(starts(lines[4], "555 "));
}

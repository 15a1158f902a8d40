// qmail-pop3d on descriptors 0 and 1 over a real maildir, side by side with what
// notqmail's qmail-pop3d (a7012e4) answered to the same commands on the same files.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace {

// Three messages, oldest first: new/1000.A.h, cur/1001.B.h:2,S, new/1002.C.h.
std::string make_maildir(const qmtest::MailRoot& root) {
    const std::string maildir = root / "M";
    REQUIRE(qmtest::run({qmtest::bin("maildirmake"), maildir}).exit_code == 0);
    const std::pair<const char*, const char*> files[] = {
        {"new/1000.A.h", "Return-Path: <a@x>\nSubject: one\n\n.dot line\nbody\n"},
        {"cur/1001.B.h:2,S", "Subject: two\nX: y\n\nl1\nl2\nl3\nl4\n"},
        {"new/1002.C.h", "Subject: three\n\nno newline"},
    };
    std::time_t t = 1000000000; // 2001: long past, so every one is listed
    for (const auto& [name, text] : files) {
        const std::string path = maildir + "/" + name;
        qmtest::spit(path, text);
        const timespec times[2] = {{t, 0}, {t, 0}};
        REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
        t += 86400;
    }
    for (const auto& e : fs::recursive_directory_iterator(maildir))
        root.give_to_user(e.path());
    root.give_to_user(maildir);
    return maildir;
}

} // namespace

TEST_CASE("qmail-pop3d answers as notqmail's - but for the blank line qmail adds before the "
          "final dot",
          "[scenario][pop3]") {
    qmtest::MailRoot root;
    const std::string maildir = make_maildir(root);
    // A message delivered in this very second waits for the next session.
    // (Its mtime in the future: "this second" for sure, however long the test takes.)
    qmtest::spit(maildir + "/new/now.D.h", "Subject: now\n\n");
    const std::time_t later = std::time(nullptr) + 3600;
    const timespec times[2] = {{later, 0}, {later, 0}};
    REQUIRE(::utimensat(AT_FDCWD, (maildir + "/new/now.D.h").c_str(), times, 0) == 0);
    root.give_to_user(maildir + "/new/now.D.h");
    auto r = root.run({qmtest::bin("qmail-pop3d"), "M"},
                      {.stdin_data = "STAT\r\nLIST\r\nUIDL\r\nLIST 2\r\nUIDL 9\r\nLIST 0\r\n"
                                     "LIST x\r\nRETR 1\r\nTOP 2 2\r\nTOP 2 0\r\nTOP 2\r\n"
                                     "RETR 3\r\nDELE 2\r\nDELE 2\r\nLAST\r\nSTAT\r\nLIST\r\n"
                                     "RSET\r\nLAST\r\nDELE 3\r\nfoo\r\nnoop\r\nQUIT\r\n",
                       .cwd = root.home()});
    REQUIRE(r.exit_code == 0);
    // notqmail's transcript with its extra "\r\n" before each ".\r\n" of a message
    // removed: RFC 1939 ends the message with the dot line alone, and the extra line
    // would become part of the message at the client.
    CHECK(r.out == "+OK \r\n"
                   "+OK 3 105\r\n"
                   "+OK \r\n1 48\r\n2 31\r\n3 26\r\n.\r\n"
                   "+OK \r\n1 1000.A.h\r\n2 1001.B.h\r\n3 1002.C.h\r\n.\r\n"
                   "+OK 2 31\r\n"
                   "-ERR not that many messages\r\n"
                   "-ERR messages are counted from 1\r\n"
                   "-ERR syntax error\r\n"
                   "+OK \r\nReturn-Path: <a@x>\r\nSubject: one\r\n\r\n..dot line\r\nbody\r\n.\r\n"
                   "+OK \r\nSubject: two\r\nX: y\r\n\r\nl1\r\nl2\r\n.\r\n"
                   "+OK \r\nSubject: two\r\nX: y\r\n\r\n.\r\n"
                   "+OK \r\nSubject: two\r\nX: y\r\n\r\nl1\r\nl2\r\nl3\r\nl4\r\n.\r\n"
                   "+OK \r\nSubject: three\r\n\r\nno newline\r\n.\r\n"
                   "+OK \r\n"
                   "-ERR already deleted\r\n"
                   "+OK 2\r\n"
                   "+OK 3 74\r\n"
                   "+OK \r\n1 48\r\n3 26\r\n.\r\n"
                   "+OK \r\n"
                   "+OK 0\r\n"
                   "+OK \r\n"
                   "-ERR unimplemented\r\n"
                   "+OK \r\n"
                   "+OK \r\n");
    // QUIT: the deleted message is gone, the one read from new/ is in cur/ as seen.
    CHECK(qmtest::list_dir(maildir + "/cur") ==
          std::vector<std::string>{"1000.A.h:2,", "1001.B.h:2,S"});
    CHECK(qmtest::list_dir(maildir + "/new") == std::vector<std::string>{"now.D.h"});
}

TEST_CASE("qmail-pop3d refuses root - a missing maildir and long lines get -ERR",
          "[scenario][pop3]") {
    qmtest::MailRoot root;
    auto missing = root.run({qmtest::bin("qmail-pop3d"), "NoSuchMaildir"},
                            {.stdin_data = "STAT\r\n", .cwd = root.home()});
    CHECK(missing.exit_code == 0);
    CHECK(missing.out == "-ERR this user has no $HOME/Maildir\r\n");
    const std::string maildir = make_maildir(root);
    auto long_line = root.run(
        {qmtest::bin("qmail-pop3d"), "M"},
        {.stdin_data = "NOOP " + std::string(5000, 'x') + "\r\nSTAT\r\n", .cwd = root.home()});
    CHECK(long_line.out == "+OK \r\n-ERR line too long\r\n+OK 3 105\r\n");
    if (::getuid() == 0) {
        auto as_root = qmtest::run({qmtest::bin("qmail-pop3d"), maildir});
        CHECK(as_root.exit_code == 1);
        CHECK(as_root.err == "qmail-pop3d invoked as uid 0, terminating\n");
    }
}

namespace {

// A checkpassword program: joe's password is "secret"; it starts its argument in home.
std::string make_checkpassword(const qmtest::MailRoot& root, const std::string& home) {
    const std::string path = root / "checkpassword";
    qmtest::spit(path,
                 "#!/bin/bash\n"
                 "IFS= read -r -d '' user <&3; IFS= read -r -d '' pass <&3; "
                 "IFS= read -r -d '' stamp <&3\n"
                 "echo \"checkpassword: $user $stamp\" >&2\n"
                 "[ \"$user\" = joe ] && [ \"$pass\" = secret ] || exit 1\n"
                 "cd '" +
                     home + "' && exec \"$@\"\n",
                 0755);
    root.give_to_user(path);
    return path;
}

// tcpserver on a free loopback port running qmail-popup, the checkpassword program and
// qmail-pop3d M, as a POP3 server is set up; the port.
int start_pop3_server(const qmtest::MailRoot& root, const std::string& check,
                      std::unique_ptr<qmtest::Daemon>& server) {
    const int port = qmtest::free_port();
    server = root.start({"/usr/bin/tcpserver", "-v", "-R", "-H", "127.0.0.1", std::to_string(port),
                         qmtest::bin("qmail-popup"), "mx.test.example", check,
                         qmtest::bin("qmail-pop3d"), "M"},
                        "tcpserver.log");
    REQUIRE(
        qmtest::wait_for([&] { return server->log().find("status: 0/") != std::string::npos; }));
    return port;
}

// fetchmail as the test user: joe's mail from the server on port, each message appended
// to out and followed by a "====" line; ssl: fetchmail's TLS options.
qmtest::RunResult fetchmail(const qmtest::MailRoot& root, int port, const std::string& ssl,
                            const std::string& out) {
    const std::string rc = root / "fetchmailrc";
    qmtest::spit(rc,
                 "set no syslog\npoll 127.0.0.1 protocol pop3 port " + std::to_string(port) +
                     " auth password user \"joe\" password \"secret\" is someone here " + ssl +
                     " mda \"/bin/sh -c 'cat >> " + out + "; echo ==== >> " + out +
                     "'\" fetchall nokeep\n",
                 0600);
    root.give_to_user(rc);
    return root.run({"/usr/bin/fetchmail", "-f", rc, "-v"}, {.env = {{"HOME", root.home()}}});
}

std::string without_timestamp(std::string s) {
    return std::regex_replace(s, std::regex("<[0-9]+\\.[0-9]+@"), "<PID.TIME@");
}

} // namespace

TEST_CASE("qmail-popup answers as notqmail's - a login goes to checkpassword on descriptor 3",
          "[scenario][pop3]") {
    qmtest::MailRoot root;
    make_maildir(root);
    const std::string check = make_checkpassword(root, root.home());
    const std::vector<std::string> popup{qmtest::bin("qmail-popup"), "mx.example", check,
                                         qmtest::bin("qmail-pop3d"), "M"};
    // Every expectation is what notqmail's qmail-popup (a7012e4) wrote, its timestamp
    // aside.
    auto refused = root.run(popup, {.stdin_data = "FOO\r\nPASS x\r\nUSER\r\nNOOP\r\nUSER joe\r\n"
                                                  "PASS wrong\r\nSTAT\r\n"});
    CHECK(refused.exit_code == 1);
    CHECK(without_timestamp(refused.out) == "+OK <PID.TIME@mx.example>\r\n"
                                            "-ERR authorization first\r\n"
                                            "-ERR USER first\r\n"
                                            "-ERR syntax error\r\n"
                                            "+OK \r\n"
                                            "+OK \r\n"
                                            "-ERR authorization failed\r\n");
    // checkpassword got the greeting's timestamp, the one APOP digests.
    const std::string stamp =
        refused.out.substr(4, refused.out.find('>') - 3); // "<pid.time@mx.example>"
    CHECK(refused.err == "checkpassword: joe " + stamp + "\n");

    // Right: qmail-pop3d takes over the connection. What the client sent after PASS
    // reaches it (notqmail's qmail-popup read it into its buffer and lost it).
    auto in = root.run(popup, {.stdin_data = "user joe\r\npass secret\r\nSTAT\r\nQUIT\r\n"});
    CHECK(without_timestamp(in.out) == "+OK <PID.TIME@mx.example>\r\n+OK \r\n+OK \r\n"
                                       "+OK 3 105\r\n+OK \r\n");
    auto apop = root.run(popup, {.stdin_data = "APOP joe secret\r\nQUIT\r\n"});
    CHECK(without_timestamp(apop.out) == "+OK <PID.TIME@mx.example>\r\n+OK \r\n+OK \r\n");
    auto quit = root.run(popup, {.stdin_data = "QUIT\r\n"});
    CHECK(quit.exit_code == 1);
    CHECK(without_timestamp(quit.out) == "+OK <PID.TIME@mx.example>\r\n+OK \r\n");
    auto usage = root.run({qmtest::bin("qmail-popup"), "mx.example"});
    CHECK(usage.out == "-ERR usage: popup hostname subprogram\r\n");
}

TEST_CASE("fetchmail collects a maildir through tcpserver, qmail-popup and qmail-pop3d",
          "[scenario][pop3][fetchmail]") {
    if (!fs::exists("/usr/bin/fetchmail") || !fs::exists("/usr/bin/tcpserver"))
        return qmtest::skip("fetchmail or ucspi-tcp's tcpserver is not installed");
    qmtest::MailRoot root;
    const std::string maildir = make_maildir(root);
    const std::string check = make_checkpassword(root, root.home());
    std::unique_ptr<qmtest::Daemon> server;
    const int port = start_pop3_server(root, check, server);
    const std::string out = root / "fetched";
    // Plain POP3 (sslproto ''): without it fetchmail insists on STLS, which qmail-popup
    // offers only with a certificate (the next test).
    auto r = fetchmail(root, port, "sslproto ''", out);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    const std::string got = qmtest::slurp(out);
    // Three messages, in order, dot-stuffing undone, the unterminated last line kept.
    const auto one = got.find("Subject: one\n\n.dot line\nbody\n");
    const auto two = got.find("Subject: two\nX: y\n\nl1\nl2\nl3\nl4\n");
    const auto three = got.find("Subject: three\n\nno newline\n");
    CHECK(one != std::string::npos);
    CHECK(two != std::string::npos);
    CHECK(three != std::string::npos);
    CHECK((one < two && two < three));
    CHECK(qmtest::count_of(got, "====\n") == 3);
    // nokeep: deleted at the server.
    CHECK(qmtest::list_dir(maildir + "/new").empty());
    CHECK(qmtest::list_dir(maildir + "/cur").empty());
}

TEST_CASE("fetchmail over STLS: qmail-popup stays between TLS and qmail-pop3d",
          "[scenario][pop3][fetchmail][tls]") {
    if (!fs::exists("/usr/bin/fetchmail") || !fs::exists("/usr/bin/tcpserver"))
        return qmtest::skip("fetchmail or ucspi-tcp's tcpserver is not installed");
    qmtest::MailRoot root;
    root.server_certificate("mx.test.example");
    const std::string maildir = make_maildir(root);
    const std::string check = make_checkpassword(root, root.home());
    // Without a client it offers STLS in CAPA.
    auto capa = root.run(
        {qmtest::bin("qmail-popup"), "mx.test.example", check, qmtest::bin("qmail-pop3d"), "M"},
        {.stdin_data = "CAPA\r\nQUIT\r\n"});
    CHECK(capa.out.find("\r\nSTLS\r\n.\r\n") != std::string::npos);
    std::unique_ptr<qmtest::Daemon> server;
    const int port = start_pop3_server(root, check, server);
    const std::string out = root / "fetched";
    // sslproto TLS1.2+: STLS is required; the certificate is self-signed (no sslcertck).
    auto r = fetchmail(root, port, "sslproto \"TLS1.2+\" no sslcertck", out);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK((r.out + r.err).find("upgrade to TLS succeeded") != std::string::npos);
    const std::string got = qmtest::slurp(out);
    CHECK(got.find("Subject: one\n\n.dot line\nbody\n") != std::string::npos);
    CHECK(got.find("Subject: three\n\nno newline\n") != std::string::npos);
    CHECK(qmtest::list_dir(maildir + "/new").empty());
    CHECK(qmtest::list_dir(maildir + "/cur").empty());
}

TEST_CASE("qmail-popup --listen runs a session process per connection - fetchmail collects "
          "through it and SIGTERM waits for an open session",
          "[scenario][pop3][fetchmail]") {
    if (!fs::exists("/usr/bin/fetchmail"))
        return qmtest::skip("fetchmail is not installed");
    qmtest::MailRoot root;
    const std::string maildir = make_maildir(root);
    // checkpassword reports tcpserver's variables, which the daemon sets per connection.
    const std::string check = root / "checkpassword-env";
    qmtest::spit(check,
                 "#!/bin/bash\necho \"env: $PROTO $TCPREMOTEIP $TCPLOCALIP $TCPLOCALPORT\" >&2\n"
                 "exec '" +
                     make_checkpassword(root, root.home()) + "' \"$@\"\n",
                 0755);
    root.give_to_user(check);
    const int port = qmtest::free_port();
    auto server = root.start({qmtest::bin("qmail-popup"), "--listen",
                              "127.0.0.1:" + std::to_string(port), "--max-connections", "5", "--",
                              "mx.test.example", check, qmtest::bin("qmail-pop3d"), "M"},
                             "popup.log");
    REQUIRE(qmtest::wait_for(
        [&] { return server->log().find("status: listening on") != std::string::npos; }));

    const std::string out = root / "fetched";
    auto r = fetchmail(root, port, "sslproto ''", out);
    INFO(r.out << r.err << server->log());
    CHECK(r.exit_code == 0);
    const std::string got = qmtest::slurp(out);
    CHECK(got.find("Subject: one\n\n.dot line\nbody\n") != std::string::npos);
    CHECK(got.find("Subject: three\n\nno newline\n") != std::string::npos);
    CHECK(qmtest::count_of(got, "====\n") == 3);
    CHECK(qmtest::list_dir(maildir + "/new").empty());
    CHECK(qmtest::list_dir(maildir + "/cur").empty());
    CHECK(server->log().find("env: TCP 127.0.0.1 127.0.0.1 " + std::to_string(port) + "\n") !=
          std::string::npos);
    // The greeting's timestamp names the session process, not the daemon.
    qmtest::LoopbackClient client(port);
    REQUIRE(client.connected());
    client.read_until([](const std::string& s) { return s.find("\r\n") != std::string::npos; });
    CHECK(client.got().starts_with("+OK <"));
    CHECK(client.got().find("<" + std::to_string(server->pid()) + ".") == std::string::npos);
    // A second session, logged in: qmail-pop3d runs it.
    qmtest::LoopbackClient second(port);
    REQUIRE(second.connected());
    second.send("USER joe\r\nPASS secret\r\nSTAT\r\n");
    second.read_until(
        [](const std::string& s) { return s.find("+OK 0 0\r\n") != std::string::npos; });
    REQUIRE(second.got().find("+OK 0 0\r\n") != std::string::npos);
    // SIGTERM: no new connections, the open sessions go on to their end.
    REQUIRE(::kill(server->pid(), SIGTERM) == 0);
    REQUIRE(qmtest::wait_for(
        [&] { return server->log().find("no new connections") != std::string::npos; }));
    qmtest::LoopbackClient refused(port);
    CHECK_FALSE(refused.connected());
    client.send("USER joe\r\nPASS secret\r\nSTAT\r\nQUIT\r\n");
    client.read_until(
        [](const std::string& s) { return s.find("+OK 0 0\r\n+OK") != std::string::npos; });
    CHECK(client.got().find("+OK 0 0\r\n+OK \r\n") != std::string::npos);
    // The second signal ends the session that is left, qmail-pop3d and all.
    REQUIRE(::kill(server->pid(), SIGTERM) == 0);
    CHECK(second.closed_by_server());
    const int status = server->stop(0); // already ending: waits for it
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

// qmail-qmqpd and qmail-qmqpc, alone and together: a null client whose qmail-inject runs
// qmail-qmqpc as its QMAILQUEUE hands mail to the central host's qmail-qmqpd daemon,
// whose qmail-send delivers it.
#include "net.hpp"
#include "opendkim.hpp"
#include "qm/dkim/sign.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <csignal>
#include <filesystem>

using namespace std::string_literals;
using qmtptest::netstrings;
using qmtptest::ns;

namespace {

std::string request(const std::string& message, const std::string& sender,
                    const std::vector<std::string>& rcpts) {
    std::string body = ns(message) + ns(sender);
    for (const auto& r : rcpts)
        body += ns(r);
    return ns(body);
}

qmtest::RunResult qmqpd(const qmtest::MailRoot& root, const std::string& input) {
    auto e = root.env();
    e["TCPREMOTEIP"] = "10.0.0.5";
    e["TCPREMOTEHOST"] = "null.example";
    e["TCPLOCALHOST"] = "hub.example";
    return root.run({qmtest::bin("qmail-qmqpd")}, {.stdin_data = input, .env = e});
}

size_t queued(const qmtest::MailRoot& root) {
    return qmtest::list_dir(root / "queue/todo").size();
}

struct Hub {
    qmtest::MailRoot root;
    int port = qmtptest::free_port();
    std::unique_ptr<qmtest::Daemon> qmqpd;
    Hub()
        : Hub(std::map<std::string, std::string>{}) {}
    explicit Hub(std::map<std::string, std::string> env) {
        qmqpd = root.start(
            {qmtest::bin("qmail-qmqpd"), "--listen", "127.0.0.1:" + std::to_string(port)},
            "qmqpd.log", {.env = std::move(env)});
        REQUIRE(qmtest::wait_for(
            [&] { return qmqpd->log().find("status: listening") != std::string::npos; }));
    }
};

// Runs qmail-qmqpc in root as qmail-queue is run: message on 0, envelope on 1.
qmtest::RunResult qmqpc(const qmtest::MailRoot& root, const std::string& message,
                        const std::string& envelope) {
    return root.run({qmtest::bin("qmail-qmqpc")}, {.stdin_data = message, .fd1_input = envelope});
}

std::string envelope(const std::string& sender, const std::vector<std::string>& rcpts) {
    std::string e = "F" + sender + '\0';
    for (const auto& r : rcpts)
        e += "T" + r + '\0';
    return e + '\0';
}

} // namespace

TEST_CASE("qmail-qmqpd queues one message and answers once", "[scenario][qmqp]") {
    qmtest::MailRoot root;
    auto r = qmqpd(root, request("Subject: hi\n\nhello\n", "ann@null.example",
                                 {"joe@test.example", "bob@elsewhere.example"}));
    CHECK(r.exit_code == 0);
    auto resp = netstrings(r.out);
    REQUIRE(resp.size() == 1);
    CHECK(resp[0].starts_with("Kok "));
    REQUIRE(queued(root) == 1);
    const auto id = qmtest::list_dir(root / "queue/todo")[0];
    const std::string msg =
        qmtest::slurp(root / ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
    CHECK(msg.find("\nReceived: from null.example (10.0.0.5)\n  by hub.example with QMQP; ") !=
          std::string::npos);
    CHECK(msg.ends_with("\nSubject: hi\n\nhello\n"));
    CHECK(qmtest::slurp(root / ("queue/todo/" + id))
              .find("Fann@null.example\0Tjoe@test.example\0Tbob@elsewhere.example\0"s) !=
          std::string::npos);
}

TEST_CASE("qmail-qmqpd stores a bare CR in the header as a space", "[scenario][qmqp]") {
    qmtest::MailRoot root;
    auto r = qmqpd(root, request("Subject: a\rX-Injected: yes\n\nbody\rCR\n", "ann@null.example",
                                 {"joe@test.example"}));
    REQUIRE(netstrings(r.out).size() == 1);
    REQUIRE(queued(root) == 1);
    const auto id = qmtest::list_dir(root / "queue/todo")[0];
    CHECK(qmtest::slurp(root / ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id))
              .ends_with("\nSubject: a X-Injected: yes\n\nbody\rCR\n"));
}

TEST_CASE("qmail-qmqpd refuses bad addresses and broken framing", "[scenario][qmqp]") {
    qmtest::MailRoot root;
    for (const auto& rcpts : std::vector<std::vector<std::string>>{
             {std::string(1000, 'x')}, {"nul\0@x"s}, {"ok@x", std::string(2000, 'y')}}) {
        auto r = qmqpd(root, request("x\n", "a@b", rcpts));
        CHECK(netstrings(r.out) ==
              std::vector<std::string>{"Dsorry, I can't accept addresses like that (#5.1.3)"});
    }
    auto r = qmqpd(root, request("x\n", "a@b", {}));
    CHECK(netstrings(r.out) ==
          std::vector<std::string>{"Dsorry, the message has no recipients (#5.1.3)"});
    // Not a number; an outer netstring too short for the sender; one ending inside it.
    for (const std::string& bad : {"x"s, "5:2:x\n,,"s, "8:2:x\n,3:a@b,"s}) {
        INFO(bad);
        r = qmqpd(root, bad);
        CHECK(r.exit_code == 100);
        CHECK(r.out.empty());
        CHECK(r.err.find("protocol error from 10.0.0.5") != std::string::npos);
    }
    CHECK(queued(root) == 0);
}

TEST_CASE("qmail-qmqpc exit codes", "[scenario][qmqp]") {
    qmtest::MailRoot client;
    const std::string env = envelope("ann@null.example", {"joe@test.example"});
    // No qmqpservers.
    auto r = qmqpc(client, "x\n", env);
    CHECK(r.exit_code == 55);
    // Nobody listening.
    client.control("qmqpservers", "127.0.0.1:" + std::to_string(qmtptest::free_port()) + "\n");
    r = qmqpc(client, "x\n", env);
    CHECK(r.exit_code == 73);
    CHECK(r.err.find("connection refused") != std::string::npos);
    client.control("qmqpservers", "mail.example.com\n");
    CHECK(qmqpc(client, "x\n", env).exit_code == 55);

    Hub hub;
    client.control("qmqpservers", "127.0.0.1:" + std::to_string(hub.port) + "\n");
    CHECK(qmqpc(client, "x\n", "Tjoe\0\0"s).exit_code == 91); // not an envelope
    // The hub refuses an address of 1000 bytes: permanent.
    r = qmqpc(client, "x\n", envelope("a@b", {std::string(1001, 'j')}));
    CHECK(r.exit_code == 31);
    CHECK(r.err.find("Dsorry, I can't accept addresses like that") != std::string::npos);
    r = qmqpc(client, "Subject: ok\n\nx\n", env);
    CHECK(r.exit_code == 0);
    CHECK(queued(hub.root) == 1);

    // A hub whose qmail-queue fails: temporary.
    Hub broken(std::map<std::string, std::string>{{"QMAILQUEUE", "/bin/false"}});
    client.control("qmqpservers", "127.0.0.1:" + std::to_string(broken.port) + "\n");
    r = qmqpc(client, "x\n", env);
    CHECK(r.exit_code == 71);
    CHECK(r.err.find(" said: Zqq temporary problem (#4.3.0)") != std::string::npos);
}

TEST_CASE("qmail-qmqpc signs a null client's mail with its control/dkimkeys - a key it cannot "
          "use keeps the mail back",
          "[scenario][qmqp][dkim]") {
    qmtest::MailRoot client;
    Hub hub;
    client.control("qmqpservers", "127.0.0.1:" + std::to_string(hub.port) + "\n");
    const qmtest::Made key = qmtest::keygen(client, {"null.example", "nc1"});
    client.control("dkimkeys", key.line + "\n");
    const std::string message = "From: Ann <ann@null.example>\nTo: joe@test.example\n"
                                "Subject: from a null client\n\nhello\n";
    auto r = qmqpc(client, message, envelope("ann@null.example", {"joe@test.example"}));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(queued(hub.root) == 1);
    const std::string id = qmtest::list_dir(hub.root / "queue/todo").front();
    const std::string got =
        qmtest::slurp(hub.root / ("queue/mess/" + std::to_string(std::stoul(id) % 23) + "/" + id));
    INFO(got);
    CHECK(got.find("\nDKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=null.example; "
                   "s=nc1;") != std::string::npos);
    CHECK(got.ends_with(message));
    // Verified by OpenDKIM with the record dkim-keygen printed (its test query method
    // standing in for DNS).
    qmtest::TempDir dir;
    qmtest::spit(dir / "keys", "nc1._domainkey.null.example " + key.txt + "\n");
    CHECK(qm::dkim::verify_with_key_file(got, dir / "keys"));

    // A key file gone: exit 55 (temporary), nothing sent.
    std::filesystem::remove(client / "control/dkim/null.example.nc1.key");
    r = qmqpc(client, message, envelope("ann@null.example", {"joe@test.example"}));
    CHECK(r.exit_code == 55);
    CHECK(r.err.find("null.example.nc1.key") != std::string::npos);
    CHECK(queued(hub.root) == 1);
}

TEST_CASE("null client: qmail-inject → qmail-qmqpc → fail-over → qmail-qmqpd → qmail-send → "
          "maildir",
          "[scenario][qmqp][daemon]") {
    Hub hub;
    const std::string home = hub.root.add_user("joe");
    auto send = hub.root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");

    qmtest::MailRoot client;
    client.control("me", "null.example\n");
    // The first hub is down: qmail-qmqpc moves on to the second.
    client.control("qmqpservers", "127.0.0.1:" + std::to_string(qmtptest::free_port()) +
                                      "\n127.0.0.1:" + std::to_string(hub.port) + "\n");
    for (const char* prog : {"qmail-inject", "sendmail"}) {
        INFO(prog);
        std::vector<std::string> argv{qmtest::bin(prog), "joe@test.example"};
        auto r = client.run(
            argv, {.stdin_data =
                       std::string("Subject: via ") + prog + "\n\nHello from the null client.\n",
                   .env = {{"QMAILQUEUE", qmtest::bin("qmail-qmqpc")}, {"QMAILUSER", "ann"}},
                   .unset_env = {"QMAILHOST", "MAILHOST", "QMAILINJECT"}});
        INFO(r.err);
        CHECK(r.exit_code == 0);
    }
    CHECK(qmtest::list_dir(client / "queue/todo").empty()); // nothing queued on the client

    REQUIRE(qmtest::wait_for([&] { return qmtest::list_dir(home + "/Maildir/new").size() == 2; }));
    for (const auto& f : qmtest::list_dir(home + "/Maildir/new")) {
        const std::string msg = qmtest::slurp(home + "/Maildir/new/" + f);
        CHECK(msg.starts_with("Return-Path: <ann@null.example>\nDelivered-To: joe@test.example\n"));
        CHECK(msg.find("\nReceived: from unknown (127.0.0.1)\n  by 127.0.0.1 with QMQP; ") !=
              std::string::npos);
        CHECK(msg.find("\nSubject: via ") != std::string::npos);
        CHECK(msg.find("\nHello from the null client.\n") != std::string::npos);
    }
    CHECK(WEXITSTATUS(hub.qmqpd->stop(SIGTERM)) == 0);
}

TEST_CASE("qmail-qmqpd --rules turns away clients the table denies", "[scenario][qmqp][tcprules]") {
    qmtest::MailRoot hub;
    const std::string rules = hub / "qmqpd.cdb";
    auto compile = [&](const std::string& text) {
        REQUIRE(qmtest::run({qmtest::bin("tcprules"), rules, rules + ".tmp"}, {.stdin_data = text})
                    .exit_code == 0);
    };
    compile("127.0.0.1:deny\n");
    const int port = qmtptest::free_port();
    auto qmqpd = hub.start({qmtest::bin("qmail-qmqpd"), "--listen",
                            "127.0.0.1:" + std::to_string(port), "--rules", rules},
                           "qmqpd.log");
    REQUIRE(qmtest::wait_for(
        [&] { return qmqpd->log().find("status: listening") != std::string::npos; }));
    qmtest::MailRoot client;
    client.control("qmqpservers", "127.0.0.1:" + std::to_string(port) + "\n");
    const std::string env = envelope("ann@null.example", {"joe@test.example"});
    auto r = qmqpc(client, "Subject: x\n\nx\n", env);
    CHECK(r.exit_code != 0);
    CHECK(queued(hub) == 0);
    CHECK(qmqpd->log().find("deny 127.0.0.1:") != std::string::npos);
    compile("127.0.0.1:allow\n:deny\n");
    CHECK(qmqpc(client, "Subject: x\n\nx\n", env).exit_code == 0);
    CHECK(queued(hub) == 1);
}

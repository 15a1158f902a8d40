// QMTP and QMQP with control/journal 1: qmail-qmtpd and qmail-qmqpd queue through
// qmail-queue, which hands each message to qmail-journald; a K means the journal's flush
// covers it, and with qmail-journald away the answer is a temporary Z and nothing is
// queued.
#include "net.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using namespace std::string_literals;
using qmtptest::netstrings;
using qmtptest::ns;
using qmtptest::qmtp_package;

namespace {

std::map<std::string, std::string> client_env(const qmtest::MailRoot& root) {
    auto e = root.env();
    e["TCPREMOTEIP"] = "192.0.2.7";
    e["TCPREMOTEHOST"] = "client.example";
    e["TCPLOCALIP"] = "192.0.2.1";
    e["TCPLOCALHOST"] = "mx.test.example";
    return e;
}

std::string qmqp_request(const std::string& message, const std::string& sender,
                         const std::vector<std::string>& rcpts) {
    std::string body = ns(message) + ns(sender);
    for (const auto& r : rcpts)
        body += ns(r);
    return ns(body);
}

size_t journaled_messages(const qmtest::MailRoot& root) {
    return qmtest::count_of(root.run({qmtest::bin("qmail-journal")}).out, " M id=");
}

} // namespace

TEST_CASE("journal: qmail-qmtpd and qmail-qmqpd answer K only for journaled messages",
          "[scenario][journal][qmtp]") {
    qmtest::MailRoot root;
    root.control("rcpthosts", "test.example\n");
    root.control("journal", "1\n");
    const std::string package =
        qmtp_package("\nSubject: over qmtp\n\nhi\n", "ann@client.example", {"joe@test.example"});
    const std::string request =
        qmqp_request("Subject: over qmqp\n\nhi\n", "ann@null.example", {"joe@test.example"});
    auto qmtpd = [&] {
        return root.run({qmtest::bin("qmail-qmtpd")},
                        {.stdin_data = package, .env = client_env(root)});
    };
    auto qmqpd = [&] {
        return root.run({qmtest::bin("qmail-qmqpd")},
                        {.stdin_data = request, .env = client_env(root)});
    };

    // qmail-journald away: a temporary failure for each, and nothing queued.
    auto resp = netstrings(qmtpd().out);
    REQUIRE(resp.size() == 1);
    CHECK(resp[0].starts_with("Z"));
    resp = netstrings(qmqpd().out);
    REQUIRE(resp.size() == 1);
    CHECK(resp[0].starts_with("Z"));
    CHECK(qmtest::queued_messages(root.home()).empty());

    auto journald = root.start({qmtest::bin("qmail-journald")}, "journald.log");
    REQUIRE(qmtest::wait_for(
        [&] { return journald->log().find("status: journal ready") != std::string::npos; }));
    resp = netstrings(qmtpd().out);
    REQUIRE(resp.size() == 1);
    CHECK(resp[0].starts_with("Kok "));
    resp = netstrings(qmqpd().out);
    REQUIRE(resp.size() == 1);
    CHECK(resp[0].starts_with("Kok "));
    CHECK(journaled_messages(root) == 2);
    const auto todo = qmtest::list_dir(root / "queue/todo");
    REQUIRE(todo.size() == 2);
    // Each queued envelope names its journal record, whose body is the queued message.
    for (const auto& n : todo) {
        const std::string envelope = qmtest::slurp(root / ("queue/todo/" + n));
        const auto j = envelope.find("\0j"s);
        REQUIRE(j != std::string::npos);
        const std::string id = envelope.substr(j + 2, envelope.find('\0', j + 2) - j - 2);
        auto x = root.run({qmtest::bin("qmail-journal"), "-x", id});
        REQUIRE(x.exit_code == 0);
        CHECK(x.out ==
              qmtest::slurp(root / ("queue/mess/" + std::to_string(std::stoul(n) % 23) + "/" + n)));
    }
    journald->stop();
}

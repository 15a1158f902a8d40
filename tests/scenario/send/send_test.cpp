// qmail-send end to end: the real qmail-queue queues, the real qmail-send delivers through
// qm::local into virtual users' maildirs and programs, as the unprivileged test user.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

size_t count_of(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + 1))
        ++n;
    return n;
}

std::vector<std::string> files_under(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(dir, ec))
        if (e.is_regular_file())
            out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

// A mail root with qmail-send running (started and stopped by the test).
struct Mta {
    qmtest::MailRoot root;
    std::unique_ptr<qmtest::Daemon> send;
    int starts = 0;
    std::string log_name;

    void start(const std::string& aliasempty = "./Maildir/") {
        log_name = "send" + std::to_string(++starts) + ".log";
        send = root.start({qmtest::bin("qmail-send"), aliasempty}, log_name);
        REQUIRE(qmtest::wait_for([&] { return log().find("status: local") != std::string::npos; }));
    }
    [[nodiscard]] std::string log() const {
        return send ? send->log() : qmtest::slurp(root / log_name);
    }
    bool wait_log(const std::string& text, size_t times = 1,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
        return qmtest::wait_for([&] { return count_of(log(), text) >= times; }, timeout);
    }
    int stop(int sig = SIGTERM) {
        int st = send->stop(sig);
        last_log = qmtest::slurp(root / log_name);
        send.reset();
        return st;
    }
    std::string last_log;

    // Queues a message; returns its id (the todo/ name is not visible once qmail-send
    // took it, so the id comes from the log line "new msg N").
    void inject(const std::string& sender, const std::vector<std::string>& rcpts,
                const std::string& body = "Subject: test\n\nhello\n") {
        std::string env = "F" + sender + '\0';
        for (const auto& r : rcpts)
            env += "T" + r + '\0';
        env += '\0';
        auto r = root.run({qmtest::bin("qmail-queue")}, {.stdin_data = body, .fd1_input = env});
        REQUIRE(r.exit_code == 0);
    }
    [[nodiscard]] std::vector<std::string> maildir(const std::string& user) const {
        return qmtest::list_dir(root / ("users/" + user + "/Maildir/new"));
    }
    [[nodiscard]] std::string only_message(const std::string& user) const {
        auto m = maildir(user);
        REQUIRE(m.size() == 1);
        return qmtest::slurp(root / ("users/" + user + "/Maildir/new/" + m[0]));
    }
    void dot_qmail(const std::string& user, const std::string& ext, const std::string& text) {
        std::string path = root / ("users/" + user + "/.qmail" + ext);
        qmtest::spit(path, text, 0644);
        root.give_to_user(path);
    }
    // The message id from the first "new msg N" line.
    [[nodiscard]] std::string first_id() const {
        std::smatch m;
        std::string l = log();
        REQUIRE(std::regex_search(l, m, std::regex("new msg ([0-9]+)")));
        return m[1];
    }
    [[nodiscard]] std::string queue_file(const std::string& dir, const std::string& id) const {
        return root / ("queue/" + dir + "/" + std::to_string(std::stoul(id) % 23) + "/" + id);
    }
    [[nodiscard]] bool queue_empty() const {
        for (const char* d : {"mess", "info", "local", "remote", "todo", "intd", "bounce"})
            if (!files_under(root / ("queue/"s + d)).empty())
                return false;
        return true;
    }
};

void set_mtime(const std::string& path, std::time_t t) {
    const timeval tv[2] = {{t, 0}, {t, 0}};
    REQUIRE(::utimes(path.c_str(), tv) == 0);
}

std::time_t mtime_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mtime;
}

} // namespace

TEST_CASE("qmail-send delivers to a virtual user's maildir and logs qmail's lines",
          "[scenario][send]") {
    Mta m;
    m.root.add_user("bob");
    m.start();
    m.inject("alice@far.example", {"bob@test.example"}, "Subject: hi\n\nhello bob\n");
    REQUIRE(m.wait_log("end msg "));
    const std::string msg = m.only_message("bob");
    CHECK(msg.rfind("Return-Path: <alice@far.example>\nDelivered-To: bob@test.example\n"
                    "Received: (qmail ",
                    0) == 0);
    CHECK(msg.ends_with("\nSubject: hi\n\nhello bob\n"));
    const std::string id = m.first_id();
    const std::string log = m.log();
    CHECK(std::regex_search(log, std::regex("\ninfo msg " + id +
                                            ": bytes [0-9]+ from <alice@far.example> qp "
                                            "[0-9]+ uid [0-9]+\n")));
    CHECK(log.find("starting delivery 1: msg " + id + " to local bob@test.example\n") !=
          std::string::npos);
    CHECK(log.find("delivery 1: success: did_1+0+0/\n") != std::string::npos);
    CHECK(log.find("status: local 1/10 remote 0/20\n") != std::string::npos);
    CHECK(log.find("end msg " + id + "\n") != std::string::npos);
    CHECK(m.queue_empty());
    CHECK(WEXITSTATUS(m.stop()) == 0);
    CHECK(m.last_log.find("exitasap") != std::string::npos);
}

TEST_CASE("qmail-send: one message to many recipients", "[scenario][send]") {
    Mta m;
    std::vector<std::string> rcpts;
    for (int i = 0; i < 40; ++i) {
        m.root.add_user("u" + std::to_string(i));
        rcpts.push_back("u" + std::to_string(i) + "@test.example");
    }
    m.start();
    m.inject("alice@far.example", rcpts);
    REQUIRE(m.wait_log("end msg "));
    for (int i = 0; i < 40; ++i)
        CHECK(m.maildir("u" + std::to_string(i)).size() == 1);
    CHECK(count_of(m.log(), ": success: ") == 40);
    CHECK(m.queue_empty());
}

TEST_CASE("qmail-send: queued before start, then many messages", "[scenario][send]") {
    Mta m;
    m.root.add_user("bob");
    m.inject("a@far.example", {"bob@test.example"}); // in todo/ before qmail-send runs
    m.start();
    for (int i = 0; i < 30; ++i)
        m.inject("a@far.example", {"bob@test.example"});
    REQUIRE(m.wait_log("end msg ", 31));
    CHECK(m.maildir("bob").size() == 31);
    CHECK(m.queue_empty());
}

TEST_CASE("qmail-send: locals and virtualdomains routing, SIGHUP rereads them",
          "[scenario][send]") {
    Mta m;
    m.root.add_user("bob");
    m.root.add_user("carol-x");
    m.root.add_user("dave-y");
    m.root.control("locals", "test.example\nother.example\n");
    m.root.control("virtualdomains", "virt.example:carol\nexcept.virt.example:\n");
    m.start();
    m.inject("a@far.example", {"bob@Other.Example", "x@virt.example"});
    REQUIRE(m.wait_log("end msg "));
    CHECK(m.only_message("bob").find("Delivered-To: bob@Other.Example\n") != std::string::npos);
    CHECK(m.only_message("carol-x").find("Delivered-To: carol-x@virt.example\n") !=
          std::string::npos);

    m.root.control("virtualdomains", "virt2.example:dave\n");
    ::kill(m.send->pid(), SIGHUP);
    // The HUP is handled before the trigger from the next injection.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    m.inject("a@far.example", {"y@virt2.example"});
    REQUIRE(m.wait_log("end msg ", 2));
    CHECK(m.maildir("dave-y").size() == 1);
}

TEST_CASE("qmail-send: a deferral is retried on SIGALRM, not before", "[scenario][send]") {
    Mta m;
    m.root.add_user("bob");
    m.dot_qmail("bob", "",
                "|if test -f tried; then echo second time lucky; exit 0; fi; touch tried; "
                "echo not yet; exit 111\n");
    m.start();
    m.inject("a@far.example", {"bob@test.example"});
    REQUIRE(m.wait_log("delivery 1: deferral: not_yet/\n"));
    // The next attempt is 100 s after birth: nothing happens on its own in the meantime.
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    CHECK(m.log().find("starting delivery 2") == std::string::npos);
    ::kill(m.send->pid(), SIGALRM);
    REQUIRE(m.wait_log("delivery 2: success: second_time_lucky/did_0+0+1/\n"));
    REQUIRE(m.wait_log("end msg "));
    CHECK(m.queue_empty());
}

TEST_CASE("qmail-send: a permanent failure bounces in QSBMF to the sender", "[scenario][send]") {
    Mta m;
    m.root.add_user("alice");
    m.root.add_user("bob");
    m.root.add_user("carol");
    m.dot_qmail("bob", "", "|echo no thanks; exit 100\n");
    m.start();
    m.inject("alice@test.example", {"bob@test.example", "carol@test.example"},
             "Subject: original\n\nthe body\n");
    REQUIRE(m.wait_log("end msg ", 2)); // the message, then its bounce
    CHECK(m.maildir("carol").size() == 1);
    const std::string b = m.only_message("alice");
    CHECK(b.rfind("Return-Path: <>\nDelivered-To: alice@test.example\nReceived: (qmail ", 0) == 0);
    auto date = b.find("\nDate: ");
    REQUIRE(date != std::string::npos);
    const std::string after_date = b.substr(b.find('\n', date + 1) + 1);
    const std::string expected =
        "From: MAILER-DAEMON@test.example\n"
        "To: alice@test.example\n"
        "Subject: failure notice\n"
        "\n"
        "Hi. This is the qmail-send program at test.example.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n"
        "\n"
        "<bob@test.example>:\n"
        "no thanks\n"
        "\n"
        "--- Below this line is a copy of the message.\n"
        "\n"
        "Return-Path: <alice@test.example>\n"
        "Received: (qmail ";
    CHECK(after_date.substr(0, expected.size()) == expected);
    CHECK(after_date.ends_with("\nSubject: original\n\nthe body\n"));
    CHECK(std::regex_search(m.log(), std::regex("\ndelivery [0-9]+: failure: no_thanks/\n")));
    CHECK(std::regex_search(m.log(), std::regex("\nbounce msg " + m.first_id() + " qp [0-9]+\n")));
    CHECK(m.queue_empty());
}

TEST_CASE("qmail-send: double bounce to postmaster, triple bounce discarded", "[scenario][send]") {
    Mta m;
    m.root.add_user("bob");
    m.root.add_user("postmaster");
    m.dot_qmail("bob", "", "|echo gone; exit 100\n");
    m.start();
    m.inject("", {"bob@test.example"}, "Subject: a bounce\n\nbounce body\n");
    REQUIRE(m.wait_log("end msg ", 2));
    const std::string b = m.only_message("postmaster");
    CHECK(b.rfind("Return-Path: <#@[]>\n", 0) == 0);
    CHECK(b.find("\nTo: postmaster@test.example\nSubject: failure notice\n\n"
                 "Hi. This is the qmail-send program at test.example.\n"
                 "I tried to deliver a bounce message to this address, but the bounce bounced!\n"
                 "\n<bob@test.example>:\ngone\n\n"
                 "--- Below this line is the original bounce.\n\nReturn-Path: <>\n") !=
          std::string::npos);

    m.inject("#@[]", {"bob@test.example"});
    REQUIRE(m.wait_log("triple bounce: discarding bounce/"));
    REQUIRE(m.wait_log("end msg ", 3));
    CHECK(m.maildir("postmaster").size() == 1);
    CHECK(m.queue_empty());
}

TEST_CASE("qmail-send: queuelifetime turns the last deferral into a bounce", "[scenario][send]") {
    Mta m;
    m.root.add_user("alice");
    m.root.add_user("bob");
    m.dot_qmail("bob", "", "|echo try later; exit 111\n");
    m.start();
    m.inject("alice@test.example", {"bob@test.example"});
    REQUIRE(m.wait_log("delivery 1: deferral: try_later/\n"));
    const std::string id = m.first_id();
    CHECK(WEXITSTATUS(m.stop()) == 0);
    // The schedule was saved: the next local attempt is (isqrt(age) + 10)^2 s after birth,
    // the age being the message's when the pass began: 100 s at once, 121 s or 144 s when
    // a busy machine took a second or three to get there.
    const std::time_t birth = mtime_of(m.queue_file("info", id));
    const std::time_t next = mtime_of(m.queue_file("local", id)) - birth;
    CHECK((next == 100 || next == 121 || next == 144));
    const std::time_t old = std::time(nullptr) - 8 * 86400;
    set_mtime(m.queue_file("info", id), old);
    set_mtime(m.queue_file("local", id), old);
    m.start();
    REQUIRE(m.wait_log("end msg ", 2));
    CHECK(std::regex_search(m.log(), std::regex("\ndelivery 1: failure: try_later/I'm_not_going_to_"
                                                "try_again;_this_message_has_been_in_the_queue_"
                                                "too_long./\n")));
    CHECK(m.only_message("alice").find(
              "\n<bob@test.example>:\ntry later\nI'm not going to try again; this message has "
              "been in the queue too long.\n\n--- Below this line is a copy of the message.\n") !=
          std::string::npos);
    CHECK(m.queue_empty());
}

TEST_CASE("qmail-send: a restart never repeats a finished delivery", "[scenario][send]") {
    Mta m;
    for (const char* u : {"a", "b", "c"})
        m.root.add_user(u);
    m.root.control("concurrencylocal", "1\n");
    m.dot_qmail("b", "", "|touch started; while test ! -f go; do sleep 0.05; done; exit 0\n");
    m.start();
    m.inject("x@far.example", {"a@test.example", "b@test.example", "c@test.example"});
    REQUIRE(qmtest::wait_for([&] { return fs::exists(m.root / "users/b/started"); }));
    const std::string id = m.first_id();
    // b can start while a's delivery still waits for its flush (the slot is handed over,
    // scheduler.cpp), so a's maildir file may exist before its done mark does; a kill in
    // that window means a second delivery, as in qmail. Kill once the mark is written.
    REQUIRE(qmtest::wait_for(
        [&] { return qmtest::slurp(m.queue_file("local", id)).compare(0, 1, "D") == 0; }));
    CHECK(m.maildir("a").size() == 1);
    m.stop(SIGKILL); // no chance to save anything
    auto local = qmtest::slurp(m.queue_file("local", id));
    CHECK(local == "Da@test.example\0Tb@test.example\0Tc@test.example\0"s);
    qmtest::spit(m.root / "users/b/go", "");
    m.root.give_to_user(m.root / "users/b/go");
    m.start();
    REQUIRE(m.wait_log("end msg " + id));
    CHECK(m.log().find("to local a@test.example") == std::string::npos);
    CHECK(m.log().find("to local b@test.example") != std::string::npos);
    CHECK(m.maildir("a").size() == 1);
    CHECK(m.maildir("c").size() == 1);
    CHECK(m.queue_empty());
}

TEST_CASE("qmail-send: a todo/N back after a crash without its mess/S/N is an ended message's",
          "[scenario][send]") {
    // A power cut can keep the removal of mess/S/N (made durable by a later flush of
    // mess/S) and lose that of todo/N: the envelope of a message that was delivered and
    // ended comes back alone. It is removed, not left in todo/ for ever.
    Mta m;
    m.root.add_user("a");
    m.start();
    m.inject("x@far.example", {"a@test.example"});
    REQUIRE(m.wait_log("end msg "));
    const std::string id = m.first_id();
    CHECK(m.stop() == 0);
    REQUIRE(m.queue_empty());
    const std::string todo = (m.root / "queue/todo/") + id;
    qmtest::spit(todo, "u1000\0p42\0Fx@far.example\0Ta@test.example\0\0"s);
    m.root.give_to_user(todo);
    m.start();
    REQUIRE(m.wait_log("an ended message's envelope back after a crash; removing it"));
    CHECK(qmtest::wait_for([&] { return !std::filesystem::exists(todo); }));
    CHECK(m.log().find("new msg " + id) == std::string::npos);
    CHECK(m.maildir("a").size() == 1);
    CHECK(m.queue_empty());
}

namespace {

// True once pid has exited (a zombie until its parent, the test, reaps it).
bool exited(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');
    return paren == std::string::npos || stat.compare(paren, 3, ") Z") == 0;
}

// Sends sig to qmail-send alone (not the delivery's group) while a delivery runs: the
// delivery finishes, then qmail-send exits 0.
void check_clean_exit_on(int sig) {
    Mta m;
    m.root.add_user("b");
    m.dot_qmail("b", "", "|touch started; sleep 1; echo finished; exit 0\n");
    m.start();
    m.inject("x@far.example", {"b@test.example"});
    REQUIRE(qmtest::wait_for([&] { return fs::exists(m.root / "users/b/started"); }));
    ::kill(m.send->pid(), sig);
    INFO(m.log());
    REQUIRE(m.wait_log("exitasap"));
    CHECK(m.log().find("delivery 1: success: finished/did_0+0+1/\n") != std::string::npos);
    REQUIRE(qmtest::wait_for([&] { return exited(m.send->pid()); })); // on its own
    const int status = m.stop(sig);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(m.queue_empty());
}

} // namespace

TEST_CASE("qmail-send: SIGTERM finishes in-flight deliveries first", "[scenario][send]") {
    check_clean_exit_on(SIGTERM);
}

TEST_CASE("qmail-send: SIGINT (Ctrl-C) finishes in-flight deliveries first like SIGTERM",
          "[scenario][send]") {
    check_clean_exit_on(SIGINT);
}

TEST_CASE("qmail-send: remote recipients that cannot be reached stay queued", "[scenario][send]") {
    Mta m;
    m.root.add_user("bob");
    // A loopback port where nobody listens: every attempt is a connection refused.
    m.root.control("smtproutes", "far.example:127.0.0.1:1\n");
    m.start();
    m.inject("a@far.example", {"someone@far.example", "bob@test.example"});
    REQUIRE(m.wait_log(": deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection."));
    REQUIRE(m.wait_log(": success: did_1+0+0/"));
    const std::string id = m.first_id();
    CHECK(std::regex_search(m.log(), std::regex("\nstarting delivery ([0-9]+): msg " + id +
                                                " to remote someone@far.example\n(.*\n)*delivery "
                                                "\\1: deferral: Sorry,_I_wasn't_able")));
    CHECK(m.maildir("bob").size() == 1);
    CHECK(WEXITSTATUS(m.stop()) == 0);
    CHECK(m.last_log.find("end msg") == std::string::npos);
    // Still queued, with the next remote attempt (400 s after birth) saved.
    const std::time_t birth = mtime_of(m.queue_file("info", id));
    CHECK(mtime_of(m.queue_file("remote", id)) == birth + 400);
    CHECK(qmtest::slurp(m.queue_file("remote", id)) == "Tsomeone@far.example\0"s);
    CHECK(fs::exists(m.queue_file("mess", id)));
    CHECK_FALSE(fs::exists(m.queue_file("local", id)));
    m.start();
    ::kill(m.send->pid(), SIGALRM);
    REQUIRE(m.wait_log("deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection."));
    CHECK(m.log().find("bounce msg") == std::string::npos);
}

TEST_CASE("qmail-send: a post to 20,000 remote recipients - each tried once, by domain, 100 "
          "per attempt",
          "[scenario][send]") {
    Mta m;
    // A loopback port where nobody listens: every attempt defers at once.
    m.root.control("smtproutes", ":127.0.0.1:1\n");
    constexpr size_t n = 20000, domains = 37;
    std::vector<std::string> rcpts;
    for (size_t i = 0; i < n; ++i) // a domain's capitals vary, its attempts must not
        rcpts.push_back("s" + std::to_string(i) + "@" + (i / domains % 3 ? "list-" : "LIST-") +
                        std::to_string(i % domains) + ".example");
    const bool verp = GENERATE(false, true);
    INFO((verp ? "VERP sender" : "plain sender"));
    m.start();
    m.inject(verp ? "owner-@test.example-@[]" : "owner@test.example", rcpts);
    REQUIRE(m.wait_log(": deferral: ", n, std::chrono::seconds(120)));
    REQUIRE(WEXITSTATUS(m.stop()) == 0);
    const std::string id = m.first_id();

    // Every recipient started once, and every delivery deferred once.
    std::vector<std::string> started;
    std::istringstream lines(m.last_log);
    std::map<std::string, int> verdicts;
    const std::string prefix = "starting delivery ";
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with(prefix)) {
            const auto to = line.find(": msg " + id + " to remote ");
            REQUIRE(to != std::string::npos);
            ++verdicts[line.substr(prefix.size(), to - prefix.size())];
            started.push_back(line.substr(to + (": msg " + id + " to remote ").size()));
        } else if (line.starts_with("delivery ")) {
            CHECK(line.find(": deferral: ") != std::string::npos);
            const std::string dnum = line.substr(9, line.find(':') - 9);
            REQUIRE(verdicts.contains(dnum));
            ++verdicts[dnum];
        }
    }
    CHECK(verdicts.size() == n);
    CHECK(std::all_of(verdicts.begin(), verdicts.end(), [](auto& v) { return v.second == 2; }));
    std::vector<std::string> sorted_started = started, sorted_rcpts = rcpts;
    std::sort(sorted_started.begin(), sorted_started.end());
    std::sort(sorted_rcpts.begin(), sorted_rcpts.end());
    CHECK(sorted_started == sorted_rcpts);
    if (!verp) {
        // Attempts start in the order of their first recipient, so no two in a row share a
        // domain: chunk c of every domain in turn, each the domain's recipients 100c to
        // 100c + 99 in queue order. (With VERP each recipient is an attempt of its own.)
        std::vector<std::string> expected;
        for (size_t c = 0; c * 100 * domains < n; ++c)
            for (size_t d = 0; d < domains; ++d)
                for (size_t i = d + c * 100 * domains; i < std::min(n, d + (c + 1) * 100 * domains);
                     i += domains)
                    expected.push_back(rcpts[i]);
        CHECK(started == expected);
    }
    // Nothing was marked done: all 20,000 wait for the next pass.
    const std::string remote = qmtest::slurp(m.queue_file("remote", id));
    CHECK(count_of(remote, "\0T"s) + remote.starts_with("T") == n);
    CHECK(remote.find("\0D"s) == std::string::npos);
}

TEST_CASE("qmail-send: VERP sender is expanded per recipient", "[scenario][send]") {
    Mta m;
    m.root.add_user("bob");
    m.dot_qmail("bob", "", "|echo \"$SENDER\" > sender.txt\n");
    m.start();
    m.inject("list-@test.example-@[]", {"bob@test.example"});
    REQUIRE(m.wait_log("end msg "));
    CHECK(qmtest::slurp(m.root / "users/bob/sender.txt") == "list-bob=test.example@test.example\n");
}

TEST_CASE("qmail-send: a second qmail-send refuses to run", "[scenario][send]") {
    Mta m;
    m.start();
    auto r = m.root.run({qmtest::bin("qmail-send"), "./Maildir/"});
    CHECK(r.exit_code == 111);
    CHECK(r.err.find("already running") != std::string::npos);
    CHECK(m.send->running());
}

TEST_CASE("qmail-start pipes the log into a logger", "[scenario][send]") {
    qmtest::MailRoot root;
    root.add_user("bob");
    const std::string out = root / "logger.out";
    auto d =
        root.start({qmtest::bin("qmail-start"), "./Maildir/", "/bin/sh", "-c", "exec cat > " + out},
                   "start.log");
    REQUIRE(qmtest::wait_for([&] {
        return fs::exists(out) && qmtest::slurp(out).find("status:") != std::string::npos;
    }));
    auto r = root.run(
        {qmtest::bin("qmail-queue")},
        {.stdin_data = "Subject: x\n\ny\n", .fd1_input = "Fa@far.example\0Tbob@test.example\0\0"s});
    REQUIRE(r.exit_code == 0);
    REQUIRE(
        qmtest::wait_for([&] { return qmtest::slurp(out).find("end msg") != std::string::npos; }));
    CHECK(qmtest::list_dir(root / "users/bob/Maildir/new").size() == 1);
    CHECK(d->log().empty()); // nothing on qmail-start's own stderr
    d->stop(SIGTERM);
}

TEST_CASE("qmail-send and qmail-start --help", "[scenario][send]") {
    for (const char* p : {"qmail-send", "qmail-start"}) {
        auto r = qmtest::run({qmtest::bin(p), "--help"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("usage: ") == 0);
    }
}

TEST_CASE("qmail-send removes qmail-queue leftovers older than 36 hours", "[scenario][send]") {
    Mta m;
    const std::time_t old = std::time(nullptr) - 37 * 3600;
    auto make = [&](const std::string& rel, std::time_t t) {
        const std::string p = m.root / ("queue/" + rel);
        qmtest::spit(p, "x");
        m.root.give_to_user(p);
        set_mtime(p, t);
        return p;
    };
    const std::string stale_pid = make("pid/123.456.1", old);
    const std::string fresh_pid = make("pid/124.456.1", std::time(nullptr));
    // 46 % 23 == 0: an envelope under construction whose qmail-queue died long ago
    const std::string intd = make("intd/46", old);
    const std::string intd_mess = make("mess/0/46", old);
    // 47 % 23 == 1: a message file that never got an envelope, and a young one
    const std::string orphan = make("mess/1/47", old);
    const std::string young = make("mess/2/48", std::time(nullptr));
    m.start();
    CHECK_FALSE(fs::exists(stale_pid));
    CHECK(fs::exists(fresh_pid));
    CHECK_FALSE(fs::exists(intd));
    CHECK_FALSE(fs::exists(intd_mess));
    CHECK_FALSE(fs::exists(orphan));
    CHECK(fs::exists(young));
}

TEST_CASE("sendmail to qmail-queue, qmail-send and local delivery: maildir and mbox read by mutt",
          "[scenario][send][mutt]") {
    Mta m;
    m.root.add_user("bob");   // no .qmail: the default ./Maildir/
    m.root.add_user("carol"); // .qmail: an mbox
    m.root.add_user("dave");  // Bcc
    m.dot_qmail("carol", "", "./Mailbox\n");
    m.start();
    const std::string text = "From: Alice <alice@far.example>\n"
                             "To: bob@test.example, carol\n"
                             "Bcc: dave@test.example\n"
                             "Subject: end to end\n"
                             "\n"
                             "From the top\n"
                             ".\n"
                             "bye\n";
    // -t: recipients from the header (carol gets defaulthost); Bcc is removed.
    auto r = m.root.run({qmtest::bin("sendmail"), "-t", "-i", "-f", "alice@far.example"},
                        {.stdin_data = text});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(m.wait_log("end msg "));
    INFO(m.log());
    CHECK(m.log().find("to local bob@test.example\n") != std::string::npos);
    CHECK(m.log().find("to local carol@test.example\n") != std::string::npos);
    CHECK(m.log().find("to local dave@test.example\n") != std::string::npos);
    CHECK(m.only_message("dave").find("Bcc:") == std::string::npos);

    qmtest::TempDir scratch;
    const auto bob = qmtest::mutt_read(m.root / "users/bob/Maildir", scratch / "bob");
    REQUIRE(bob.size() == 1);
    CHECK(bob[0].rfind("Return-Path: <alice@far.example>\nDelivered-To: bob@test.example\n", 0) ==
          0);
    CHECK(bob[0].find("\nSubject: end to end\n") != std::string::npos);
    CHECK(bob[0].find("\nMessage-ID: <") != std::string::npos); // added by qmail-inject
    CHECK(bob[0].find("Bcc:") == std::string::npos);
    CHECK(bob[0].ends_with("\n\nFrom the top\n.\nbye\n"));

    const std::string mbox = qmtest::slurp(m.root / "users/carol/Mailbox");
    CHECK(mbox.rfind("From alice@far.example ", 0) == 0);
    CHECK(mbox.find("\n>From the top\n.\nbye\n\n") != std::string::npos);
    const auto carol = qmtest::mutt_read(m.root / "users/carol/Mailbox", scratch / "carol");
    REQUIRE(carol.size() == 1);
    CHECK(carol[0].find("Delivered-To: carol@test.example\n") != std::string::npos);
    CHECK(carol[0].find("\nSubject: end to end\n") != std::string::npos);
    CHECK(carol[0].find("From the top\n.\nbye\n") != std::string::npos);
}

namespace {

// qmail-start with aliasempty as the default delivery; one message to bob (no .qmail).
struct Started {
    qmtest::MailRoot root;
    std::unique_ptr<qmtest::Daemon> d;
    explicit Started(const std::string& aliasempty) {
        root.add_user("bob");
        d = root.start({qmtest::bin("qmail-start"), aliasempty}, "start.log");
        REQUIRE(qmtest::wait_for([&] { return d->log().find("status: local") != npos; }));
        auto r = root.run({qmtest::bin("qmail-queue")},
                          {.stdin_data = "Subject: default\n\nFrom here\n",
                           .fd1_input = "Fa@far.example\0Tbob@test.example\0\0"s});
        REQUIRE(r.exit_code == 0);
        INFO(d->log());
        REQUIRE(qmtest::wait_for([&] { return d->log().find("end msg ") != npos; }));
    }
    static constexpr auto npos = std::string::npos;
};

} // namespace

TEST_CASE("qmail-start ./Mailbox: the default delivery is an mbox in the home",
          "[scenario][send]") {
    Started s("./Mailbox");
    const std::string log = s.d->log();
    CHECK(log.find(": success: did_1+0+0/\n") != std::string::npos);
    const std::string mbox = qmtest::slurp(s.root / "users/bob/Mailbox");
    CHECK(mbox.rfind("From a@far.example ", 0) == 0);
    CHECK(mbox.find("\nReturn-Path: <a@far.example>\nDelivered-To: bob@test.example\n") !=
          std::string::npos);
    CHECK(mbox.ends_with("\nSubject: default\n\n>From here\n\n"));
    CHECK(qmtest::list_dir(s.root / "users/bob/Maildir/new").empty());
    CHECK(WEXITSTATUS(s.d->stop(SIGTERM)) == 0);
}

TEST_CASE("qmail-start '|program': the default delivery runs a program as the user",
          "[scenario][send]") {
    Started s("|cat > got.txt; echo \"$SENDER $RECIPIENT $LOCAL $HOST\" > env.txt; echo piped");
    const std::string log = s.d->log();
    CHECK(log.find(": success: piped/did_0+0+1/\n") != std::string::npos);
    const std::string got = qmtest::slurp(s.root / "users/bob/got.txt");
    // As in qmail, a program gets the message as queued (preline adds the envelope lines).
    CHECK(got.rfind("Received: (qmail ", 0) == 0);
    CHECK(got.ends_with("\nSubject: default\n\nFrom here\n"));
    CHECK(qmtest::slurp(s.root / "users/bob/env.txt") ==
          "a@far.example bob@test.example bob test.example\n");
    struct stat st {};
    REQUIRE(::stat((s.root / "users/bob/got.txt").c_str(), &st) == 0);
    if (auto u = s.root.user())
        CHECK(st.st_uid == u->uid);
    CHECK(qmtest::list_dir(s.root / "users/bob/Maildir/new").empty());
    CHECK(WEXITSTATUS(s.d->stop(SIGTERM)) == 0);
}

TEST_CASE("qmail-send: a delivery waiting for its flush gives its slot to the next one",
          "[scenario][send]") {
    // One slot, and a disk where every flush takes 800 ms (an LD_PRELOAD for qmail-send
    // alone). Without the hand-over, delivery 2 would start only after delivery 1's verdict.
    qmtest::MailRoot root;
    for (const char* user : {"alice", "bob", "carol"})
        root.add_user(user);
    root.control("concurrencylocal", "1\n");
    for (const char* user : {"alice", "bob", "carol"})
        REQUIRE(root.run({qmtest::bin("qmail-queue")},
                         {.stdin_data = "Subject: slot\n\nhi\n",
                          .fd1_input = "Fdave@test.example\0T"s + user + "@test.example\0\0"s})
                    .exit_code == 0);
    auto send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log",
                           {.env = {{"LD_PRELOAD", QM_PRELOAD_DIR "/libqm_slow_fsync.so"},
                                    {"QM_SLOW_FSYNC_MS", "800"}}});
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(send->log(), "end msg ") == 3; },
                             std::chrono::seconds(60)));
    const std::string log = send->log();
    INFO(log);
    const auto second_starts = log.find("starting delivery 2:");
    const auto first_ends = log.find("delivery 1: success:");
    REQUIRE(second_starts != std::string::npos);
    REQUIRE(first_ends != std::string::npos);
    CHECK(second_starts < first_ends);
    // With concurrencylocal 1, at most 1 + 3 deliveries are under way (channel.hpp); here
    // all three overlap, and each recipient gets the message once.
    CHECK(log.find("starting delivery 3:") < first_ends);
    for (const char* user : {"alice", "bob", "carol"})
        CHECK(qmtest::list_dir(root / ("users/" + std::string(user) + "/Maildir/new")).size() == 1);
}

TEST_CASE("qmail-send: hundreds of local deliveries at once keep the slot counts right",
          "[scenario][send]") {
    // A flush-wait notice can reach the loop after its delivery's verdict; counted twice,
    // it once wrapped the count of deliveries under way and stopped every delivery.
    qmtest::MailRoot root;
    root.add_user("alice");
    for (int i = 0; i < 400; ++i)
        REQUIRE(root.run({qmtest::bin("qmail-queue")},
                         {.stdin_data = "Subject: many " + std::to_string(i) + "\n\nhi\n",
                          .fd1_input = "Fdave@test.example\0Talice@test.example\0\0"s})
                    .exit_code == 0);
    auto send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log");
    CHECK(qmtest::wait_for([&] { return qmtest::count_of(send->log(), "end msg ") == 400; },
                           std::chrono::seconds(120)));
    CHECK(qmtest::list_dir(root / "users/alice/Maildir/new").size() == 400);
    // Every status line within the limit: "status: local N/10".
    const std::string log = send->log();
    static const std::regex status("status: local ([0-9]+)/10 ");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), status);
         it != std::sregex_iterator(); ++it)
        CHECK(std::stoul((*it)[1]) <= 10);
}

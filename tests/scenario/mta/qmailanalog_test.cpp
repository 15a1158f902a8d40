// qmailanalog over a log that real deliveries wrote through multilog, rotated while the
// mail flowed: matchup fed one rotated file at a time with --state reports exactly what
// one pass over the whole log reports, and the summaries count what was delivered.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l.starts_with(prefix))
            out.push_back(l);
    return out;
}

} // namespace

TEST_CASE("qmailanalog over a real multilog log - matchup --state across rotations reports "
          "what one pass over the whole log reports",
          "[scenario][analog]") {
    if (!fs::exists("/usr/bin/multilog"))
        return qmtest::skip("daemontools' multilog is not installed");
    qmtest::MailRoot root;
    root.add_user("joe");
    root.add_user("ann");
    root.add_user("slow");
    // slow's deliveries wait for a flag the test sets once the log has rotated, then defer:
    // a delivery that starts in one log file and ends in another.
    const std::string flag = root / "rotated";
    const std::string slow_qmail = root / "users/slow/.qmail";
    qmtest::spit(slow_qmail,
                 "|while [ ! -e '" + flag + "' ]; do sleep 0.05; done; echo not now; exit 111\n");
    root.give_to_user(slow_qmail);
    const std::string logdir = root / "log";
    fs::create_directory(logdir);
    root.give_to_user(logdir);
    // qmail-send's activity log through multilog with TAI64N stamps, rotated at 4 KB.
    auto send =
        root.start({"/bin/sh", "-c",
                    "'" + qmtest::bin("qmail-send") +
                        "' ./Maildir/ 2>&1 | /usr/bin/multilog t s4096 n100 '" + logdir + "'"},
                   "sh.log");
    const auto whole_log = [&] {
        std::string all;
        for (const auto& name : qmtest::list_dir(logdir))
            if (name.starts_with("@") || name == "current")
                all += qmtest::slurp(logdir + "/" + name);
        return all;
    };
    const auto rotated = [&] {
        size_t n = 0;
        for (const auto& name : qmtest::list_dir(logdir))
            n += name.starts_with("@") ? 1 : 0;
        return n;
    };
    REQUIRE(
        qmtest::wait_for([&] { return whole_log().find("status: local") != std::string::npos; }));
    const auto inject = [&](const std::string& sender, const std::string& rcpt) {
        const std::string env = "F" + sender + '\0' + "T" + rcpt + '\0' + '\0';
        auto r = root.run({qmtest::bin("qmail-queue")},
                          {.stdin_data = "Subject: analog\n\nhello\n", .fd1_input = env});
        REQUIRE(r.exit_code == 0);
    };
    inject("joe@test.example", "slow@test.example");
    REQUIRE(
        qmtest::wait_for([&] { return whole_log().find("to local slow@") != std::string::npos; }));
    for (int i = 0; i < 30; ++i)
        inject("Joe@Test.Example", "ann@test.example");
    for (int i = 0; i < 3; ++i)
        inject("joe@test.example", "nobody@test.example");
    // 30 to ann, 3 failures and their 3 bounces to joe: 36 messages leave the queue.
    REQUIRE(qmtest::wait_for([&] { return qmtest::count_of(whole_log(), " end msg ") >= 36; }));
    REQUIRE(qmtest::wait_for([&] { return rotated() >= 2; }));
    qmtest::spit(flag, "");
    REQUIRE(qmtest::wait_for(
        [&] { return whole_log().find(": deferral: not_now") != std::string::npos; }));
    send->stop();

    std::vector<std::string> files;
    for (const auto& name : qmtest::list_dir(logdir))
        if (name.starts_with("@"))
            files.push_back(logdir + "/" + name);
    files.push_back(logdir + "/current");
    INFO(whole_log());
    REQUIRE(files.size() >= 3);

    // One pass over the whole log.
    auto whole = root.run({qmtest::bin("matchup")}, {.stdin_data = whole_log()});
    REQUIRE(whole.exit_code == 0);
    CHECK(whole.err.find("1 messages and 0 deliveries still pending") != std::string::npos);
    // One file at a time, as after each rotation, the pending state on disk.
    const std::string state = root / "pending";
    std::string in_turn;
    std::string without_state;
    for (const auto& f : files) {
        auto r =
            root.run({qmtest::bin("matchup"), "--state", state}, {.stdin_data = qmtest::slurp(f)});
        REQUIRE(r.exit_code == 0);
        CHECK(r.err.empty());
        in_turn += r.out;
        without_state += root.run({qmtest::bin("matchup")}, {.stdin_data = qmtest::slurp(f)}).out;
    }
    CHECK(in_turn == whole.out);
    // Without the state the deferral, whose start is in an earlier file than its end, is
    // lost: matchup cannot know what it was.
    CHECK(without_state.find("local.slow@test.example") == std::string::npos);
    CHECK(std::regex_search(in_turn,
                            std::regex("\nd z [0-9.]+ [0-9.]+ [0-9.]+ [0-9]+ <joe@test\\.example> "
                                       "local\\.slow@test\\.example [0-9]+ [0-9]+ not_now")));
    // The message to slow is still queued: the state holds it, with its deferral counted.
    const std::string pending = qmtest::slurp(state);
    CHECK(std::regex_search(
        pending,
        std::regex("^[0-9]+\\.[0-9]{9} info msg [0-9]+: bytes [0-9]+ from <joe@test\\.example> qp "
                   "[0-9]+ uid [0-9]+\n[0-9.]+ extra [0-9]+ 0 1 0\n$")));

    const auto m = lines_starting(in_turn, "m ");
    const auto d = lines_starting(in_turn, "d ");
    CHECK(m.size() == 36);
    CHECK(lines_starting(in_turn, "d k ").size() == 33);
    CHECK(lines_starting(in_turn, "d d ").size() == 3);
    CHECK(lines_starting(in_turn, "d z ").size() == 1);
    // Every delivery found its message.
    CHECK(in_turn.find(" ? ") == std::string::npos);

    auto overall = root.run({qmtest::bin("zoverall")}, {.stdin_data = in_turn});
    INFO(overall.out);
    CHECK(overall.exit_code == 0);
    CHECK(overall.out.find("\nCompleted messages: 36\n") != std::string::npos);
    CHECK(overall.out.find("\nRecipients for completed messages: 36\n") != std::string::npos);
    CHECK(overall.out.find(
              "\nTotal delivery attempts: 37\n  success: 33\n  failure: 3\n  deferral: 1\n") !=
          std::string::npos);
    auto failures = root.run({qmtest::bin("zfailures")}, {.stdin_data = in_turn});
    CHECK(std::regex_search(failures.out,
                            std::regex("\n *del +xdelay reason\n +3 +[0-9]+\\.[0-9]{2} Sorry, no "
                                       "mailbox here by that name\\. \\(#5\\.1\\.1\\)/\n$")));
    auto deferrals = root.run({qmtest::bin("zdeferrals")}, {.stdin_data = in_turn});
    CHECK(std::regex_search(deferrals.out, std::regex("\n +1 +[0-9]+\\.[0-9]{2} not now/\n$")));
    auto recipients = root.run({qmtest::bin("zrecipients")}, {.stdin_data = in_turn});
    CHECK(std::regex_search(
        recipients.out, std::regex("\n *[0-9]+ +30 +30 +[0-9.]+ local\\.ann@test\\.example\n")));
    CHECK(std::regex_search(recipients.out,
                            std::regex("\n *0 +3 +3 +[0-9.]+ local\\.nobody@test\\.example\n")));
    auto senders = root.run({qmtest::bin("zsenders")}, {.stdin_data = in_turn});
    // Senders are lowercased: the 30 from Joe@Test.Example and the 3 failed ones are one.
    CHECK(std::regex_search(
        senders.out,
        std::regex(
            "\n *33 +[0-9]+ +[0-9]+ +[0-9]+ +33 +33 +[0-9.]+ [0-9]+/<joe@test\\.example>\n")));
    CHECK(std::regex_search(
        senders.out, std::regex("\n *3 +[0-9]+ +[0-9]+ +[0-9]+ +3 +3 +[0-9.]+ [0-9]+/<>\n")));
}

TEST_CASE("matchup writes what is pending to descriptor 5 as qmail's does - a state file it "
          "cannot read is a temporary error and stays as it was",
          "[scenario][analog]") {
    qmtest::MailRoot root;
    const std::string log = root / "log";
    qmtest::spit(log, "1 info msg 5: bytes 10 from <A@B> qp 1 uid 2\n"
                      "2 starting delivery 1: msg 5 to remote x@y\n"
                      "3 delivery 1: deferral: later/\n");
    const std::string pending = root / "pending";
    auto r = qmtest::run(
        {"/bin/sh", "-c", "'" + qmtest::bin("matchup") + "' < '" + log + "' 5> '" + pending + "'"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out == "d z 1 2 3 10 <a@b> remote.x@y 1 2 later/\n");
    CHECK(qmtest::slurp(pending) == "1 info msg 5: bytes 10 from <a@b> qp 1 uid 2\n"
                                    "1 extra 5 0 1 0\n");
    // The same state given back: the message ends.
    auto next = qmtest::run({"/bin/sh", "-c",
                             "(cat '" + pending + "'; echo 4 end msg 5) | '" +
                                 qmtest::bin("matchup") + "' 5> /dev/null"});
    CHECK(next.out == "m 1 4 10 0 0 1 <a@b> 1 2\n");
    // A state that is a directory: exit 111, nothing written, nothing changed.
    const std::string dir = root / "statedir";
    std::filesystem::create_directory(dir);
    auto bad =
        qmtest::run({qmtest::bin("matchup"), "--state", dir}, {.stdin_data = "1 new msg 1\n"});
    CHECK(bad.exit_code == 111);
    CHECK(bad.out.empty());
    CHECK(bad.err.starts_with("matchup: fatal: unable to read " + dir));
    CHECK(std::filesystem::is_directory(dir));
    auto usage = qmtest::run({qmtest::bin("matchup"), "extra"});
    CHECK(usage.exit_code == 100);
    // Without descriptor 5 or --state, a warning says what is lost.
    auto lost = qmtest::run({qmtest::bin("matchup")}, {.stdin_data = qmtest::slurp(log)});
    CHECK(lost.exit_code == 0);
    CHECK(lost.err == "matchup: warning: 1 messages and 0 deliveries still pending are not kept: "
                      "open descriptor 5 or use --state FILE\n");
}

// dynasub end to end, on two mail roots of this platform that reach each other by SMTP
// on loopback: this host (test.example: readers alice and bob, the agent home in joe's
// home at joe-dynasub@test.example, dave its postmaster) and a remote host (remote.test:
// joe's list joe-rl@remote.test: a real ezmlm-compatible list of ours, Debian's mlmmj, or
// Debian's Mailman 3). Everything the remote host receives passes through a QMAILQUEUE
// wrapper that keeps a copy, for the privacy check.
#include "../lists/list_mta.hpp"
#include "bounce_samples.hpp"
#include "qm/lists/core/command_address.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <regex>

namespace {

using liststest::ListMta;
using qmtest::bin;

std::string bin_dir() {
    return std::filesystem::path(bin("dynasub")).parent_path().string();
}

struct TwoHosts {
    ListMta here{{"alice", "bob", "carol", "dave"}};
    ListMta remote{{"dave"}};
    std::unique_ptr<qmtest::Daemon> here_smtpd, remote_smtpd;
    std::string home;    // the agent home
    std::string rl;      // the remote list's directory
    std::string capture; // what remote.test received, message and envelope per file pair

    // remote_manager "ezmlm": joe-rl is a list of ours made by ezmlm-make (with
    // make_switches); "mlmmj": Debian's mlmmj, run from joe's .qmail-rl files, sending
    // through remote.test's qmail-smtpd (which relays for loopback); "mailman3": Debian's
    // Mailman 3, a private instance of the test user's (SQLite), that joe's .qmail-rl files
    // hand mail to by LMTP and that sends through the same qmail-smtpd.
    // tell_manager: the admin names the remote list's manager in HOME/managers.
    explicit TwoHosts(const std::string& remote_manager = "ezmlm",
                      const std::vector<std::string>& make_switches = {},
                      bool tell_manager = true) {
        const int here_port = qmtest::free_port(), remote_port = qmtest::free_port();
        remote.root.control("me", "remote.test\n");
        here.root.control("smtproutes",
                          "remote.test:127.0.0.1:" + std::to_string(remote_port) +
                              "\nsilent.test:127.0.0.1:" + std::to_string(remote_port) + "\n");
        remote.root.control("smtproutes",
                            "test.example:127.0.0.1:" + std::to_string(here_port) + "\n");
        remote.root.control("rcpthosts", "remote.test\nsilent.test\n");
        // silent.test: a host whose every address swallows mail without an answer.
        remote.root.control("virtualdomains", "silent.test:joe-silent\n");
        qmtest::spit(remote.joe + "/.qmail-silent-default", "#\n");
        remote.root.give_to_user(remote.joe + "/.qmail-silent-default");
        capture = remote.root / "capture";
        std::filesystem::create_directory(capture);
        const std::string wrapper = remote.root / "bin/capture-queue";
        qmtest::spit(wrapper, "#!/bin/sh\nf=" + capture +
                                  "/$$\ncat > \"$f.msg\"\ncat 0<&1 > \"$f.env\"\nexec " +
                                  remote.root.home() +
                                  "/bin/qmail-queue < \"$f.msg\" 1< \"$f.env\"\n");
        ::chmod(wrapper.c_str(), 0755);
        remote.root.give_to_user(remote.root / "bin");
        remote.root.give_to_user(capture);
        // Loopback may relay through remote.test (mlmmj sends everything by SMTP); every
        // message it takes is kept in capture.
        const std::string rules = remote.root / "smtpd-rules.cdb";
        auto r = qmtest::run(
            {bin("tcprules"), rules, rules + ".tmp"},
            {.stdin_data = "127.0.0.1:allow,RELAYCLIENT=\"\",QMAILQUEUE=\"" + wrapper + "\"\n"});
        REQUIRE(r.exit_code == 0);
        remote.root.give_to_user(rules);
        here_smtpd = here.root.start(
            {bin("qmail-smtpd"), "--listen", "127.0.0.1:" + std::to_string(here_port)},
            "smtpd.log");
        remote_smtpd =
            remote.root.start({bin("qmail-smtpd"), "--listen",
                               "127.0.0.1:" + std::to_string(remote_port), "--rules", rules},
                              "smtpd.log");
        for (auto* d : {here_smtpd.get(), remote_smtpd.get()})
            REQUIRE(qmtest::wait_for(
                [&] { return d->log().find("status: listening") != std::string::npos; }));
        rl = remote.joe + "/rl";
        if (remote_manager == "mlmmj") {
            const std::string spool = remote.joe + "/mlmmj";
            std::filesystem::create_directory(spool);
            r = qmtest::run({"/usr/bin/mlmmj-make-ml", "-L", "joe-rl", "-s", spool},
                            {.stdin_data = "remote.test\njoe@remote.test\nen\nN\n"});
            INFO(r.out + r.err);
            REQUIRE(r.exit_code == 0);
            rl = spool + "/joe-rl";
            qmtest::spit(rl + "/control/delimiter", "-\n");
            qmtest::spit(rl + "/control/relayhost", "127.0.0.1\n");
            qmtest::spit(rl + "/control/smtpport", std::to_string(remote_port) + "\n");
            for (const char* dot : {"/.qmail-rl", "/.qmail-rl-default"})
                qmtest::spit(remote.joe + dot, "|/usr/bin/mlmmj-receive -L " + rl + "\n");
            remote.root.give_to_user(remote.joe);
        } else if (remote_manager == "mailman3") {
            start_mailman(remote_port);
        } else {
            std::vector<std::string> argv{"ezmlm-make"};
            argv.insert(argv.end(), make_switches.begin(), make_switches.end());
            argv.insert(argv.end(), {rl, remote.joe + "/.qmail-rl", "joe-rl", "remote.test"});
            r = remote.run(argv);
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
        }
        home = here.joe + "/dynasub";
        r = here.run({"dynasub", "-d", home, "setup", "test.example", "joe-dynasub",
                      here.joe + "/.qmail-dynasub", bin_dir(), "0", "dave@test.example"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        // The admin says which manager remote.test's list runs (HOME/managers).
        if (tell_manager)
            qmtest::spit(home + "/managers", "joe-rl@remote.test " + remote_manager + "\n");
        here.root.give_to_user(home);
        here.start();
        remote.start();
        manager = remote_manager;
    }
    std::string manager;
    std::string mailman_dir;
    std::unique_ptr<qmtest::Daemon> mailman_master;

    // Mailman's own command line, as the test user, on the private instance.
    [[nodiscard]] qmtest::RunResult mailman(std::vector<std::string> args,
                                            const std::string& input = "") const {
        args.insert(args.begin(), {"/usr/bin/mailman", "-C", mailman_dir + "/mailman.cfg"});
        return qmtest::run(
            args,
            {.stdin_data = input, .env = {{"HOME", mailman_dir}}, .as_user = remote.root.user()});
    }
    void start_mailman(int smtp_port) {
        mailman_dir = remote.root / "mailman";
        std::filesystem::create_directory(mailman_dir);
        const int lmtp_port = qmtest::free_port();
        qmtest::spit(mailman_dir + "/mailman.cfg",
                     "[mailman]\nsite_owner: joe@remote.test\nlayout: here\n"
                     "[paths.here]\nvar_dir: " +
                         mailman_dir +
                         "/var\nbin_dir: /usr/lib/mailman3/bin\n"
                         "[mta]\nincoming: mailman.mta.null.NullMTA\n"
                         "outgoing: mailman.mta.deliver.deliver\n"
                         "smtp_host: 127.0.0.1\nsmtp_port: " +
                         std::to_string(smtp_port) +
                         "\nlmtp_host: 127.0.0.1\nlmtp_port: " + std::to_string(lmtp_port) +
                         "\n[database]\nclass: mailman.database.sqlite.SQLiteDatabase\n"
                         "url: sqlite:///" +
                         mailman_dir +
                         "/var/mailman.db\n"
                         "[webservice]\nport: " +
                         std::to_string(qmtest::free_port()) +
                         "\n[runner.rest]\nstart: no\n[archiver.prototype]\nenable: no\n");
        // qmail-local hands the message to Mailman's LMTP runner with its envelope (SENDER,
        // RECIPIENT): 100 when Mailman refuses it for good, 111 when it is not there.
        const std::string deliver = remote.root / "bin/lmtp-to-mailman";
        qmtest::spit(deliver,
                     "#!/usr/bin/python3\nimport os, smtplib, sys\ntry:\n"
                     "    with smtplib.LMTP('127.0.0.1', " +
                         std::to_string(lmtp_port) +
                         ") as s:\n"
                         "        s.sendmail(os.environ['SENDER'], [os.environ['RECIPIENT']],\n"
                         "                   sys.stdin.buffer.read())\n"
                         "except smtplib.SMTPResponseException as e:\n"
                         "    print(e); sys.exit(100 if 500 <= e.smtp_code < 600 else 111)\n"
                         "except smtplib.SMTPRecipientsRefused as e:\n"
                         "    print(e); sys.exit(100)\n"
                         "except Exception as e:\n"
                         "    print(e); sys.exit(111)\n",
                     0755);
        for (const char* dot : {"/.qmail-rl", "/.qmail-rl-default"})
            qmtest::spit(remote.joe + dot, "|" + deliver + "\n");
        remote.root.give_to_user(remote.root / "bin");
        remote.root.give_to_user(remote.joe);
        remote.root.give_to_user(mailman_dir);
        auto r = mailman({"create", "joe-rl@remote.test"});
        INFO(r.out + r.err);
        REQUIRE(r.exit_code == 0);
        // dave@remote.test posts without being a member (Mailman would hold his posts).
        r = mailman({"shell", "-l", "joe-rl@remote.test"},
                    "from mailman.interfaces.action import Action\n"
                    "m.default_nonmember_action = Action.accept\ncommit()\n");
        INFO(r.out + r.err);
        REQUIRE(r.exit_code == 0);
        mailman_master =
            remote.root.start({"/usr/lib/mailman3/bin/master", "-C", mailman_dir + "/mailman.cfg"},
                              "mailman.log", {.env = {{"HOME", mailman_dir}}});
        // Its runners take some seconds to start on a busy machine.
        REQUIRE(qmtest::wait_for([&] { return qmtest::LoopbackClient(lmtp_port).connected(); },
                                 std::chrono::seconds(90)));
    }

    qmtest::RunResult cli(std::vector<std::string> args) const {
        args.insert(args.begin(), {"dynasub", "-d", home});
        return here.run(args);
    }
    [[nodiscard]] std::string agents() const { return cli({"list"}).out; }
    // Remote subscribers of joe-rl@remote.test.
    [[nodiscard]] std::string remote_subscribers() const {
        if (manager == "mlmmj")
            return qmtest::run({"/usr/bin/mlmmj-list", "-L", rl}).out;
        if (manager == "mailman3") { // one address per line, or a sentence when none
            const std::string out = mailman({"members", "joe-rl@remote.test"}).out;
            return out.find(' ') == std::string::npos ? out : std::string();
        }
        return remote.run({"ezmlm-list", rl}).out;
    }
    // A local user joins or leaves by mail and confirms.
    void ask(const std::string& user, const std::string& verb) {
        const size_t before = here.messages(user).size();
        here.mail_from(user, "joe-dynasub-" + verb + "-joe-rl=remote.test@test.example");
        REQUIRE(here.wait_messages(user, before + 1));
        confirm(user, verb);
    }
    // The user answers the agent's confirmation request for verb.
    void confirm(const std::string& user, const std::string& verb) {
        std::string reply;
        REQUIRE(qmtest::wait_for([&] {
            for (const auto& m : here.messages(user)) {
                std::smatch match;
                static const std::regex re(
                    "Reply-To: (joe-dynasub-confirm-[a-p]{20}@test.example)");
                if (m.find("Subject: confirm " +
                           std::string(verb == "subscribe" ? "join" : "leave")) !=
                        std::string::npos &&
                    std::regex_search(m, match, re))
                    reply = match[1];
            }
            return !reply.empty();
        }));
        here.mail_from(user, reply);
    }
    // Mail posted to the remote list by its own user dave@remote.test.
    void post(const std::string& subject) {
        auto r = remote.root.run(
            {bin("qmail-inject"), "-f", "dave@remote.test"},
            {.stdin_data = "From: dave@remote.test\nTo: joe-rl@remote.test\nSubject: " + subject +
                           "\n\nhello from the remote list\n"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    [[nodiscard]] std::string captured() const {
        std::string all;
        for (const auto& f : qmtest::list_dir(capture))
            all += qmtest::slurp(capture + "/" + f) + "\n";
        return all;
    }
};

bool state_is(const TwoHosts& h, const std::string& state) {
    return qmtest::wait_for(
        [&] { return h.agents().find(" " + state + " ") != std::string::npos; });
}

} // namespace

TEST_CASE("dynasub joins a remote list with confirmation, fans its posts out, and leaves",
          "[dynasub][e2e]") {
    // Our own ezmlm-compatible list (with confirmation, and made with -h -j: none),
    // Debian's mlmmj, and Debian's Mailman 3.
    const std::string variant =
        GENERATE(as<std::string>(), "ezmlm", "ezmlm -hj", "mlmmj", "mailman3");
    INFO("remote list manager: " + variant);
    const bool remote_confirms = variant != "ezmlm -hj";
    const std::string manager = remote_confirms ? variant : "ezmlm";
    if (manager == "mlmmj")
        REQUIRE(std::filesystem::exists("/usr/bin/mlmmj-receive")); // script/bootstrap
    if (manager == "mailman3")
        REQUIRE(std::filesystem::exists("/usr/lib/mailman3/bin/master")); // script/bootstrap
    TwoHosts h(manager,
               remote_confirms ? std::vector<std::string>{} : std::vector<std::string>{"-h", "-j"});
    // The request subjects each manager is sent (Mailman's addresses are -join and -leave).
    const std::string join_subject =
        manager == "mailman3" ? "Subject: join\n" : "Subject: subscribe\n";
    const std::string leave_subject =
        manager == "mailman3" ? "Subject: leave\n" : "Subject: unsubscribe\n";
    // alice joins by mail: she confirms, the agent subscribes its sublist, and answers the
    // remote list's confirmation with no human.
    h.ask("alice", "subscribe");
    REQUIRE(h.here.wait_message_with("alice", "Subject: welcome to joe-rl@remote.test (through") !=
            "");
    REQUIRE(state_is(h, "active"));
    const std::string subs = h.remote_subscribers();
    INFO(subs);
    REQUIRE(std::count(subs.begin(), subs.end(), '\n') == 1);
    CHECK(subs.starts_with("joe-dynasub-r-"));
    CHECK(h.agents().find("1 readers joe-rl@remote.test (" + manager + ")") != std::string::npos);

    h.post("first post");
    CHECK(h.here.wait_message_with("alice", "first post") != "");

    // bob joins: the remote list still sees one address, and gets no second request.
    h.ask("bob", "subscribe");
    REQUIRE(qmtest::wait_for([&] { return h.agents().find("2 readers") != std::string::npos; }));
    CHECK(h.remote_subscribers() == subs);
    h.post("second post");
    const std::string to_bob = h.here.wait_message_with("bob", "second post");
    REQUIRE(to_bob != "");
    CHECK(h.here.wait_message_with("alice", "second post") != "");
    // Each reader's copy has its own VERP return path through the sublist's bounce cycle.
    CHECK(to_bob.find("Return-Path: <joe-dynasub-r-") != std::string::npos);
    CHECK(to_bob.find("-return-") != std::string::npos);
    CHECK(to_bob.find("bob=test.example@test.example>") != std::string::npos);
    REQUIRE(h.remote.wait_idle());
    CHECK(qmtest::count_of(h.captured(), join_subject) == 1);

    // A stranger's mail to the sublist address bounces and reaches nobody.
    const std::string sublist = subs.substr(0, subs.size() - 1);
    h.here.mail_from("carol", sublist, "spam through the back door");
    CHECK(h.here.wait_message_with("carol", "takes mail only from joe-rl@remote.test") != "");
    if (variant == "ezmlm") { // the gate is the same for every manager
        // A confirmation request for a request never sent, from the list's own host: the
        // postmaster hears of it, nothing is answered.
        h.here.queue(
            "From: joe-rl-help@remote.test\nReply-To: joe-rl-sc.1700000000.abcdefghijklmnopabcd-" +
                qm::lists::encode_target(sublist) +
                "@remote.test\nSubject: confirm subscribe to joe-rl@remote.test\n\nreply\n",
            sublist, "joe-rl-return-@remote.test");
        CHECK(h.here.wait_message_with(
                  "dave", "a join confirmation for a request this agent did not send") != "");
        // A forged confirmation from another host is refused outright.
        h.here.queue(
            "From: joe-rl-help@evil.test\nReply-To: joe-rl-sc.1700000000.abcdefghijklmnopabcd-" +
                qm::lists::encode_target(sublist) + "@evil.test\nSubject: confirm\n\nx\n",
            sublist, "joe-rl-return-@evil.test");
        CHECK(qmtest::wait_for([&] {
            return h.here.send->log().find("takes_mail_only_from",
                                           h.here.send->log().find("evil.test")) !=
                   std::string::npos;
        }));
        REQUIRE(h.here.wait_idle());
        CHECK(h.here.send->log().find("to remote joe-rl-sc.1700000000") == std::string::npos);
    }
    for (const auto& m : h.here.messages("alice"))
        CHECK(m.find("back door") == std::string::npos);

    // Both leave; with no grace period the sublist leaves the remote list at once, the
    // leave confirmation is answered, and the goodbye removes the sublist.
    h.ask("alice", "unsubscribe");
    REQUIRE(qmtest::wait_for([&] { return h.agents().find("1 readers") != std::string::npos; }));
    CHECK(h.remote_subscribers() == subs);
    h.ask("bob", "unsubscribe");
    REQUIRE(qmtest::wait_for([&] { return h.remote_subscribers().empty(); }));
    REQUIRE(qmtest::wait_for([&] { return h.agents().empty(); }));
    CHECK_FALSE(
        std::filesystem::exists(h.here.joe + "/.qmail-dynasub-r-" + sublist.substr(14, 12)));

    // Privacy: nothing the remote host received names a local reader.
    REQUIRE(h.remote.wait_idle());
    const std::string seen = h.captured();
    CHECK(qmtest::count_of(seen, join_subject) == 1);
    CHECK(qmtest::count_of(seen, leave_subject) == 1);
    CHECK(seen.find(sublist) != std::string::npos);
    // (as addresses or VERP targets: random ids and cookies may contain "bob", so a match
    // right after a letter or digit is another, longer name, such as the sublist
    // "joe-dynasub-r-zqmykdfqabob@test.example" a run once drew)
    auto find_reader = [&seen](const std::string& reader) {
        for (size_t at = seen.find(reader); at != std::string::npos; at = seen.find(reader, at + 1))
            if (at == 0 || std::isalnum(static_cast<unsigned char>(seen[at - 1])) == 0)
                return at;
        return std::string::npos;
    };
    for (const std::string reader : {"alice@test.example", "bob@test.example", "alice=test.example",
                                     "bob=test.example", "<alice", "<bob"}) {
        const size_t at = find_reader(reader);
        INFO((at == std::string::npos ? std::string() : seen.substr(at > 600 ? at - 600 : 0, 900)));
        CHECK(at == std::string::npos);
    }
    const std::string log = qmtest::slurp(h.home + "/Log");
    CHECK((log.find("answered the join confirmation") != std::string::npos) == remote_confirms);
    CHECK((log.find("answered the leave confirmation") != std::string::npos) == remote_confirms);
}

TEST_CASE("dynasub refuses outsiders, and gives up on a list that never answers",
          "[dynasub][e2e]") {
    TwoHosts h;
    // Only this host's users are served.
    h.here.queue("From: x@far.test\nSubject: s\n\n",
                 "joe-dynasub-subscribe-joe-rl=remote.test@test.example", "x@far.test");
    CHECK(qmtest::wait_for([&] {
        return h.here.send->log().find("dynasub_serves_the_users_of_this_host_only") !=
               std::string::npos;
    }));
    CHECK(h.agents().empty());

    // The admin joins alice to a list on a host that swallows everything.
    auto r = h.cli({"join", "quiet@silent.test", "alice@test.example"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(h.agents().find(" confirming 1 readers quiet@silent.test") != std::string::npos);
    // A broken managers line is named, and nothing is made from a guess.
    qmtest::spit(h.home + "/managers", "joe-rl@remote.test ezmlm\nother.test mailmen\n");
    r = h.cli({"join", "x@other.test", "alice@test.example"});
    CHECK(r.exit_code == 100);
    CHECK(r.err.find("/managers line 2: ") != std::string::npos);
    CHECK(h.agents().find("x@other.test") == std::string::npos);
    // Each tick after the wait resends, until the agent gives up and tells the postmaster.
    std::time_t now = std::time(nullptr);
    for (int i = 0; i < 5; ++i) {
        now += 13 * 3600;
        auto t = h.here.root.run({bin("dynasub"), "-d", h.home, "tick"},
                                 {.env = {{"QM_LISTS_NOW", std::to_string(now)}}});
        REQUIRE(t.exit_code == 0);
    }
    CHECK(h.agents().find(" failed ") != std::string::npos);
    CHECK(h.here.wait_message_with("dave", "no answer from quiet@silent.test after 4 requests") !=
          "");
    // retry starts over; abandon removes it.
    REQUIRE(h.cli({"retry", "quiet@silent.test"}).exit_code == 0);
    CHECK(h.agents().find(" confirming ") != std::string::npos);
    REQUIRE(h.cli({"abandon", "quiet@silent.test"}).exit_code == 0);
    CHECK(h.agents().empty());
}

TEST_CASE("a reader joins by passing on a post of the list, which names it and its manager",
          "[dynasub][e2e]") {
    // The remote list runs mlmmj, and the admin has not said so: ezmlm's forms, the
    // default, would not be understood.
    TwoHosts h("mlmmj", {}, false);
    // carol reads the list directly for now.
    auto r = qmtest::run(
        {"/usr/bin/mlmmj-sub", "-L", h.rl, "-a", "carol@test.example", "-f", "-q", "-s"},
        {.as_user = h.remote.root.user()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    h.post("a post carol passes on");
    const std::string sample = h.here.wait_message_with("carol", "a post carol passes on");
    REQUIRE(sample != "");
    // What the admin would learn from it: mlmmj, with its return path's delimiter.
    const std::string file = h.here.root / "sample";
    qmtest::spit(file, sample);
    const auto learned = h.cli({"learn", file});
    INFO(learned.err);
    CHECK(learned.exit_code == 0);
    CHECK(learned.out == "joe-rl@remote.test mlmmj -\n");
    // She redirects it, as mutt's bounce does, to the agent, and confirms.
    h.here.queue("Resent-From: carol@test.example\nResent-To: joe-dynasub@test.example\n" + sample,
                 "joe-dynasub@test.example", "carol@test.example");
    h.confirm("carol", "subscribe");
    REQUIRE(state_is(h, "active"));
    CHECK(h.agents().find("1 readers joe-rl@remote.test (mlmmj)") != std::string::npos);
    const std::string subs = h.remote_subscribers();
    INFO(subs);
    CHECK(std::count(subs.begin(), subs.end(), '\n') == 2); // carol herself, and the sublist
    CHECK(subs.find("joe-dynasub-r-") != std::string::npos);
    // A message that names no list gets the help text, and no agent.
    h.here.mail_from("bob", "joe-dynasub@test.example", "what is this");
    CHECK(h.here.wait_message_with("bob", "or forward one to it as an attachment") != "");
    CHECK(h.agents().find("2 readers") == std::string::npos);
    // The list's address alone, as the subject of a mail to the agent, asks to join it.
    h.here.mail_from("bob", "joe-dynasub@test.example", "joe-rl@remote.test");
    h.confirm("bob", "subscribe");
    CHECK(qmtest::wait_for([&] { return h.agents().find("2 readers") != std::string::npos; }));
}

TEST_CASE("the remote list's bounce warning and probe reach the agent, and the sublist stays",
          "[dynasub][e2e]") {
    // remote.test's ezmlm list comes to believe the sublist address bounced: its warning,
    // and later its probe, must be taken (not bounced, not passed to readers) so that the
    // healthy sublist is never unsubscribed.
    TwoHosts h;
    h.ask("alice", "subscribe");
    REQUIRE(state_is(h, "active"));
    std::string sublist = h.remote_subscribers();
    REQUIRE(!sublist.empty());
    sublist.pop_back();
    h.post("first post");
    REQUIRE(h.here.wait_message_with("alice", "first post") != "");
    const std::time_t now = std::time(nullptr);
    const std::string target = qm::lists::encode_target(sublist);
    const std::string bounced = "joe-rl-return-1-" + target + "@remote.test";
    h.remote.queue(qmtest::bounces::qsbmf(sublist, bounced, "Sorry, no mailbox here by that name."),
                   bounced);
    REQUIRE(qmtest::wait_for([&] { return !qmtest::bounces::kept_bounces(h.rl, 'd').empty(); }));
    REQUIRE(h.remote.wait_idle());

    // Eleven days on, the warning goes to the sublist address.
    auto warn = h.remote.run({"ezmlm-warn", h.rl}, now + 11 * 86400);
    INFO(warn.err);
    REQUIRE(warn.exit_code == 0);
    const std::string log = h.home + "/Log";
    REQUIRE(qmtest::wait_for([&] {
        return qmtest::slurp(log).find("accepted bounce warning from joe-rl-return-warn-") !=
               std::string::npos;
    }));
    // Had the warning bounced too (the remote list says so in its return-warn address)...
    std::smatch m;
    const std::string remote_log = h.remote.send->log();
    static const std::regex warn_path("from <(joe-rl-return-warn-[^>]+@remote.test)>");
    REQUIRE(std::regex_search(remote_log, m, warn_path));
    const std::string warn_return = m[1];
    h.remote.start_at(now + 11 * 86400); // the list's clock reads the warning's time stamp
    h.remote.queue(
        qmtest::bounces::qsbmf(sublist, warn_return, "Sorry, no mailbox here by that name."),
        warn_return);
    REQUIRE(qmtest::wait_for([&] { return !qmtest::bounces::kept_bounces(h.rl, 'w').empty(); }));
    REQUIRE(h.remote.wait_idle());
    // ...the probe comes eleven days later; it is taken too, so it does not bounce.
    warn = h.remote.run({"ezmlm-warn", h.rl}, now + 22 * 86400);
    INFO(warn.err);
    REQUIRE(warn.exit_code == 0);
    CHECK(warn.err.find("probes sent") != std::string::npos);
    REQUIRE(qmtest::wait_for([&] {
        return qmtest::slurp(log).find("accepted bounce probe from joe-rl-return-probe-") !=
               std::string::npos;
    }));
    REQUIRE(h.here.wait_idle());
    REQUIRE(h.remote.wait_idle());
    warn = h.remote.run({"ezmlm-warn", h.rl}, now + 33 * 86400);
    REQUIRE(warn.exit_code == 0);
    REQUIRE(h.remote.wait_idle());
    CHECK(h.remote_subscribers() == sublist + "\n");
    CHECK(h.agents().find(" active 1 readers") != std::string::npos);
    // The reader saw neither, and the postmaster was not troubled.
    for (const auto& msg : h.here.messages("alice")) {
        CHECK(msg.find("ezmlm warning") == std::string::npos);
        CHECK(msg.find("ezmlm probe") == std::string::npos);
    }
    CHECK(h.here.messages("dave").empty());
    h.post("after the probe");
    CHECK(h.here.wait_message_with("alice", "after the probe") != "");
}

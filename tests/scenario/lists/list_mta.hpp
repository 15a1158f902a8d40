// The mailing-list scenarios' mail root: users alice, bob, carol and dave (readers and
// posters) with maildirs, and joe, whose joe-<anything> addresses reach his
// .qmail-<anything> files, so that ezmlm-make can put lists in his home (make(): the list
// joe-team@test.example in ~joe/team); the real qmail-send delivers.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace liststest {

struct ListMta {
    qmtest::MailRoot root;
    std::unique_ptr<qmtest::Daemon> send;
    std::string joe; // the list owner's home
    std::string dir; // the list directory of make(): joe-team@test.example

    explicit ListMta(const std::vector<std::string>& users = {"alice", "bob", "carol", "dave"}) {
        for (const auto& u : users)
            root.add_user(u);
        joe = root.add_user("joe");
        // joe-<anything> reaches joe's .qmail-<anything>.
        std::string assign = qmtest::slurp(root / "users/assign");
        auto uid = root.user() ? root.user()->uid : ::getuid();
        auto gid = root.user() ? root.user()->gid : ::getgid();
        assign.insert(assign.size() - 2, "+joe-:joe:" + std::to_string(uid) + ":" +
                                             std::to_string(gid) + ":" + joe + ":-::\n");
        qmtest::spit(root / "users/assign", assign);
        root.give_to_user(root / "users/assign");
        REQUIRE(root.run({qmtest::bin("qmail-newu")}).exit_code == 0);
        dir = joe + "/team";
    }
    // ezmlm-make for joe-<name>@test.example in joe's home; returns the list directory.
    // env: for a controlled clock (QM_LISTS_NOW).
    std::string make_list(const std::string& name, const std::vector<std::string>& switches = {},
                          const std::map<std::string, std::string>& env = {}) {
        const std::string path = joe + "/" + name;
        std::vector<std::string> argv{qmtest::bin("ezmlm-make")};
        argv.insert(argv.end(), switches.begin(), switches.end());
        argv.insert(argv.end(), {path, joe + "/.qmail-" + name, "joe-" + name, "test.example"});
        auto r = root.run(argv, {.env = env});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return path;
    }
    void make(const std::vector<std::string>& switches = {},
              const std::map<std::string, std::string>& env = {}) {
        make_list("team", switches, env);
    }
    // ezmlm-sub on the list or one of its databases (db "digest", "mod", "allow"...).
    void subscribe(const std::string& address, const std::string& db = "") {
        auto r = root.run({qmtest::bin("ezmlm-sub"), db.empty() ? dir : dir + "/" + db, address});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // Runs a list tool (ezmlm-sub ...) that must succeed.
    void tool(const std::string& program, const std::vector<std::string>& args) {
        std::vector<std::string> argv{qmtest::bin(program)};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = root.run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // Runs a list program (ezmlm-warn, ezmlm-sub, ...) as the list owner would, with the
    // list clock at clock when given; the caller checks the result.
    qmtest::RunResult run(std::vector<std::string> argv,
                          std::optional<std::time_t> clock = std::nullopt) const {
        argv[0] = qmtest::bin(argv[0]);
        qmtest::RunOptions opts;
        if (clock)
            opts.env["QM_LISTS_NOW"] = std::to_string(static_cast<long long>(*clock));
        return root.run(argv, opts);
    }
    // Starts qmail-send; env reaches qmail-local and the list programs (QM_LISTS_NOW, for
    // instance). Called again, it restarts qmail-send once the queue is empty (for a clock
    // moved on: a delivery cut short would be retried only minutes later).
    void start(const std::map<std::string, std::string>& env = {}) {
        size_t seen = 0;
        if (send) {
            REQUIRE(wait_idle());
            send->stop();
            seen = send->log().size();
        }
        send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log", {.env = env});
        REQUIRE(qmtest::wait_for(
            [&] { return send->log().find("status: local", seen) != std::string::npos; }));
    }
    // The same, with the list programs' clock at clock.
    void start_at(std::time_t clock) {
        start({{"QM_LISTS_NOW", std::to_string(static_cast<long long>(clock))}});
    }
    void stop() {
        if (send)
            send->stop();
        send.reset();
    }
    // Mails message with the envelope sender user@test.example.
    void inject(const std::string& message, const std::string& user = "dave") {
        auto r = root.run({qmtest::bin("qmail-inject")},
                          {.stdin_data = message,
                           .env = {{"QMAILUSER", user}, {"QMAILHOST", "test.example"}},
                           .unset_env = {"USER", "LOGNAME", "MAILUSER", "MAILHOST", "QMAILNAME",
                                         "NAME", "MAILNAME", "QMAILSUSER", "QMAILSHOST"}});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // A short command message from user to address.
    void mail_from(const std::string& user, const std::string& to,
                   const std::string& subject = "request") {
        inject("From: " + user + "@test.example\nTo: " + to + "\nSubject: " + subject + "\n\nx\n",
               user);
    }
    // Queues message through qmail-queue with the given envelope, as a remote MTA's
    // bounce would arrive: sender "" and the list's return address as recipient.
    void queue(const std::string& message, const std::string& recipient,
               const std::string& sender = "") {
        auto r = root.run({qmtest::bin("qmail-queue")},
                          {.stdin_data = message,
                           .fd1_input = "F" + sender + std::string(1, '\0') + "T" + recipient +
                                        std::string(2, '\0')});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    [[nodiscard]] std::vector<std::string> messages(const std::string& user) const {
        std::vector<std::string> out;
        std::string d = root / ("users/" + user + "/Maildir/new");
        for (const auto& f : qmtest::list_dir(d))
            out.push_back(qmtest::slurp(d + "/" + f));
        return out;
    }
    bool wait_messages(const std::string& user, size_t n) const {
        return qmtest::wait_for([&] { return messages(user).size() >= n; });
    }
    // Waits until one of the user's messages contains needle and returns it ("" if none
    // comes).
    std::string wait_message_with(const std::string& user, const std::string& needle) const {
        std::string found;
        qmtest::wait_for([&] {
            for (auto& m : messages(user))
                if (m.find(needle) != std::string::npos) {
                    found = std::move(m);
                    return true;
                }
            return false;
        });
        return found;
    }
    // Waits until qmail-send has nothing left to deliver (as many "end msg" as "new msg"
    // lines in its log), so that a test can say something did NOT arrive.
    bool wait_idle() const {
        return qmtest::wait_for([&] {
            auto log = send->log();
            size_t news = 0, ends = 0;
            for (size_t p = log.find("new msg "); p != std::string::npos;
                 p = log.find("new msg ", p + 1))
                ++news;
            for (size_t p = log.find("end msg "); p != std::string::npos;
                 p = log.find("end msg ", p + 1))
                ++ends;
            return news == ends;
        });
    }
    // ezmlm-list of the list (or of its database subdir), sorted.
    [[nodiscard]] std::vector<std::string> subscribers(const std::string& subdir = {}) const {
        std::vector<std::string> argv{qmtest::bin("ezmlm-list"), dir};
        if (!subdir.empty())
            argv.push_back(subdir);
        auto r = root.run(argv);
        REQUIRE(r.exit_code == 0);
        std::vector<std::string> out;
        size_t start = 0;
        for (size_t nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1)
            out.push_back(r.out.substr(start, nl - start));
        std::sort(out.begin(), out.end());
        return out;
    }
};

// True if the message's header has exactly this line (an unfolded field).
inline bool has_line(const std::string& msg, const std::string& line) {
    std::string header = msg.substr(0, msg.find("\n\n") + 1);
    return ("\n" + header).find("\n" + line + "\n") != std::string::npos;
}

// The value of the first header field called name (exact case), if any.
inline std::optional<std::string> header_value(const std::string& msg, const std::string& name) {
    std::string header = "\n" + msg.substr(0, msg.find("\n\n") + 1);
    auto at = header.find("\n" + name + ": ");
    if (at == std::string::npos)
        return std::nullopt;
    at += name.size() + 3;
    return header.substr(at, header.find('\n', at) - at);
}

} // namespace liststest

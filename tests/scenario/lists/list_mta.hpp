// A mail root with a running qmail-send and one list in joe's home, for the lists'
// end-to-end scenarios: readers get virtual users with maildirs, joe-<anything> reaches
// joe's .qmail-<anything>, and mail is injected with qmail-inject as one of the users.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace liststest {

struct ListMta {
    qmtest::MailRoot root;
    std::unique_ptr<qmtest::Daemon> send;
    std::string joe; // the list owner's home
    std::string dir; // the list directory

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
    void make(const std::vector<std::string>& switches = {}) {
        std::vector<std::string> argv{qmtest::bin("ezmlm-make")};
        argv.insert(argv.end(), switches.begin(), switches.end());
        argv.insert(argv.end(), {dir, joe + "/.qmail-team", "joe-team", "test.example"});
        auto r = root.run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // Runs a list tool (ezmlm-sub ...) on the list directory or one of its databases.
    void tool(const std::string& program, const std::vector<std::string>& args) {
        std::vector<std::string> argv{qmtest::bin(program)};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = root.run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // env: extra environment for qmail-send, which qmail-local passes on to the list
    // programs (QM_LISTS_NOW, for instance).
    void start(const std::map<std::string, std::string>& env = {}) {
        send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log", {.env = env});
        REQUIRE(qmtest::wait_for(
            [&] { return send->log().find("status: local") != std::string::npos; }));
    }
    void inject(const std::string& message, const std::string& user = "dave") {
        auto r = root.run({qmtest::bin("qmail-inject")},
                          {.stdin_data = message,
                           .env = {{"QMAILUSER", user}, {"QMAILHOST", "test.example"}},
                           .unset_env = {"USER", "LOGNAME", "MAILUSER", "MAILHOST", "QMAILNAME",
                                         "NAME", "MAILNAME", "QMAILSUSER", "QMAILSHOST"}});
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
    // Waits until qmail-send has nothing left to deliver (no message between "new msg"
    // and "end msg"), so that a test can say something did NOT arrive.
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
};

// True if the message's header has exactly this line.
inline bool has_line(const std::string& msg, const std::string& line) {
    std::string header = msg.substr(0, msg.find("\n\n") + 1);
    return ("\n" + header).find("\n" + line + "\n") != std::string::npos;
}

} // namespace liststest

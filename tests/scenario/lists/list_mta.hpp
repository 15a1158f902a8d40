// The set-up the list scenarios share: a mail root with readers alice, bob, carol and
// dave and the list owner joe (joe-<anything> reaches joe's .qmail-<anything>), a list
// made by ezmlm-make in joe's home, the real qmail-send delivering into maildirs, and
// qmail-inject to post or send requests.
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

    ListMta() {
        for (auto u : {"alice", "bob", "carol", "dave"})
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
    // ezmlm-make with these switches; env for a controlled clock (QM_LISTS_NOW).
    void make(const std::vector<std::string>& switches = {},
              const std::map<std::string, std::string>& env = {}) {
        std::vector<std::string> argv{qmtest::bin("ezmlm-make")};
        argv.insert(argv.end(), switches.begin(), switches.end());
        argv.insert(argv.end(), {dir, joe + "/.qmail-team", "joe-team", "test.example"});
        auto r = root.run(argv, {.env = env});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    void subscribe(const std::string& address, const std::string& db = "") {
        auto r = root.run({qmtest::bin("ezmlm-sub"), db.empty() ? dir : dir + "/" + db, address});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // Starts qmail-send; env reaches the list programs (qmail-local passes QM_LISTS_NOW on).
    void start(const std::map<std::string, std::string>& env = {}) {
        send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log", {.env = env});
        REQUIRE(qmtest::wait_for(
            [&] { return send->log().find("status: local") != std::string::npos; }));
    }
    void stop() {
        if (send)
            send->stop();
        send.reset();
    }
    // Mails message as from_user@test.example.
    void inject(const std::string& message, const std::string& from_user = "dave") {
        auto r = root.run({qmtest::bin("qmail-inject")},
                          {.stdin_data = message,
                           .env = {{"QMAILUSER", from_user}, {"QMAILHOST", "test.example"}},
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
};

// True if the message's header has exactly this line.
inline bool has_line(const std::string& msg, const std::string& line) {
    std::string header = msg.substr(0, msg.find("\n\n") + 1);
    return ("\n" + header).find("\n" + line + "\n") != std::string::npos;
}

} // namespace liststest

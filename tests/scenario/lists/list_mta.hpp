// A mail root for the list scenarios: five users (alice, bob, carol, dave; joe owns the
// list, and joe-<anything> reaches his .qmail-<anything>), ezmlm-make for the list
// joe-team@test.example in ~joe/team, qmail-send, qmail-inject as one of the users, and
// reading what landed in their maildirs.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
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
    void make(const std::vector<std::string>& switches = {}) {
        std::vector<std::string> argv{qmtest::bin("ezmlm-make")};
        argv.insert(argv.end(), switches.begin(), switches.end());
        argv.insert(argv.end(), {dir, joe + "/.qmail-team", "joe-team", "test.example"});
        auto r = root.run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    // env reaches qmail-local and the list programs (QM_LISTS_NOW, for instance).
    void start(std::map<std::string, std::string> env = {}) {
        send = root.start({qmtest::bin("qmail-send"), "./Maildir/"}, "send.log",
                          {.env = std::move(env)});
        REQUIRE(qmtest::wait_for(
            [&] { return send->log().find("status: local") != std::string::npos; }));
    }
    void stop() {
        if (send)
            send->stop();
        send.reset();
    }
    // Injects a message with the envelope sender user@test.example.
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

// True if the message's header has exactly this line.
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

// The mailing-list scenarios' mail root: users alice, bob, carol, dave (readers and a
// poster) and joe, whose joe-<anything> addresses reach his .qmail-<anything> files, so
// that ezmlm-make can put lists in his home; qmail-send delivering into the maildirs.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

namespace qmtest {

struct ListMta {
    MailRoot root;
    std::unique_ptr<Daemon> send;
    std::string joe; // the list owner's home
    std::string dir; // the list directory of make(): joe-team@test.example

    ListMta() {
        for (auto u : {"alice", "bob", "carol", "dave"})
            root.add_user(u);
        joe = root.add_user("joe");
        // joe-<anything> reaches joe's .qmail-<anything>.
        std::string assign = slurp(root / "users/assign");
        auto uid = root.user() ? root.user()->uid : ::getuid();
        auto gid = root.user() ? root.user()->gid : ::getgid();
        assign.insert(assign.size() - 2, "+joe-:joe:" + std::to_string(uid) + ":" +
                                             std::to_string(gid) + ":" + joe + ":-::\n");
        spit(root / "users/assign", assign);
        root.give_to_user(root / "users/assign");
        REQUIRE(root.run({bin("qmail-newu")}).exit_code == 0);
        dir = joe + "/team";
    }
    // ezmlm-make for joe-<name>@test.example in joe's home; returns the list directory.
    std::string make_list(const std::string& name, const std::vector<std::string>& switches = {}) {
        const std::string path = joe + "/" + name;
        std::vector<std::string> argv{bin("ezmlm-make")};
        argv.insert(argv.end(), switches.begin(), switches.end());
        argv.insert(argv.end(), {path, joe + "/.qmail-" + name, "joe-" + name, "test.example"});
        auto r = root.run(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return path;
    }
    void make(const std::vector<std::string>& switches = {}) { make_list("team", switches); }
    void start() {
        send = root.start({bin("qmail-send"), "./Maildir/"}, "send.log");
        REQUIRE(wait_for([&] { return send->log().find("status: local") != std::string::npos; }));
    }
    void inject(const std::string& message) {
        auto r = root.run({bin("qmail-inject")},
                          {.stdin_data = message,
                           .env = {{"QMAILUSER", "dave"}, {"QMAILHOST", "test.example"}},
                           .unset_env = {"USER", "LOGNAME", "MAILUSER", "MAILHOST", "QMAILNAME",
                                         "NAME", "MAILNAME", "QMAILSUSER", "QMAILSHOST"}});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    [[nodiscard]] std::vector<std::string> messages(const std::string& user) const {
        std::vector<std::string> out;
        std::string d = root / ("users/" + user + "/Maildir/new");
        for (const auto& f : list_dir(d))
            out.push_back(slurp(d + "/" + f));
        return out;
    }
    bool wait_messages(const std::string& user, size_t n) const {
        return wait_for([&] { return messages(user).size() >= n; });
    }
};

// True if the message's header has this line exactly (an unfolded field).
inline bool has_line(const std::string& msg, const std::string& line) {
    std::string header = msg.substr(0, msg.find("\n\n") + 1);
    return ("\n" + header).find("\n" + line + "\n") != std::string::npos;
}

} // namespace qmtest
